import MarkdownIt, { type MarkdownIt as MarkdownItInstance, type RendererRule } from "markdown-it";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import markdown from "highlight.js/lib/languages/markdown";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import { useMemo } from "react";

/**
 * Markdown for untrusted text: model output, prompts and batch guidelines.
 *
 * Safety rests on three markdown-it properties, each covered by tests/unit/markdown.test.ts:
 * - `html: false`: raw HTML in the source is never passed through; `<script>`, `<img onerror>`,
 *   `<iframe>` and `onclick=` come out as escaped text.
 * - the default `validateLink`, which refuses `javascript:`, `vbscript:`, `file:` and `data:` URLs
 *   (except `data:image/gif|png|jpeg|webp`) in links, images and autolinks, case-insensitively;
 *   a refused link is left as plain text.
 * - every attribute value and text node is escaped by the renderer, and the highlighter below
 *   returns highlight.js output (which escapes the code) or "" (markdown-it then escapes it).
 * Links open in a new tab without an opener or referrer and carry `nofollow`; images load
 * lazily without a referrer.
 */
const LANGUAGES = { bash, cpp, css, go, java, javascript, json, markdown, python, rust, sql, typescript, xml } as const;
for (const [name, language] of Object.entries(LANGUAGES)) {
  if (!hljs.getLanguage(name)) hljs.registerLanguage(name, language);
}

const md: MarkdownItInstance = new MarkdownIt({
  html: false,
  linkify: true,
  typographer: false,
  // Model output often breaks lines with single newlines (poems, lists without markers): keep them.
  breaks: true,
  highlight(code, lang) {
    const name = lang.trim().toLowerCase();
    if (!name || !hljs.getLanguage(name)) return ""; // markdown-it escapes the code itself
    try {
      const html = hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
      return `<pre><code class="hljs language-${md.utils.escapeHtml(name)}">${html}</code></pre>`;
    } catch {
      return "";
    }
  },
});

const defaultLinkOpen: RendererRule = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  token.attrSet("target", "_blank");
  token.attrSet("rel", "noopener noreferrer nofollow");
  return defaultLinkOpen(tokens, idx, options, env, self);
};

const defaultImage: RendererRule = md.renderer.rules.image!;
md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  token.attrSet("loading", "lazy");
  token.attrSet("referrerpolicy", "no-referrer");
  return defaultImage(tokens, idx, options, env, self);
};

/** Renders untrusted markdown to sanitized HTML (see the module comment for why it is safe). */
export function renderMarkdown(text: string): string {
  return md.render(text);
}

/** Sanitized markdown with highlighted code blocks. */
export function Markdown({ text, className }: { text: string; className?: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  return (
    <div
      className={className ? `markdown ${className}` : "markdown"}
      // Safe: renderMarkdown escapes all raw HTML (html: false), refuses script-bearing URLs
      // (validateLink) and only emits markdown-it's and highlight.js's own escaped markup.
      dangerouslySetInnerHTML={{ __html: html }}
    />
  );
}

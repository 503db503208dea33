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

type Token = ReturnType<MarkdownItInstance["parse"]>[number];

/**
 * The text a reader sees when `text` is rendered: markup such as `**`, backticks, link targets
 * and code fences removed, paragraphs and list items on lines of their own (list items with
 * their bullet or number), code blocks as their code. The word diff compares this, so it marks
 * what a reviewer would notice rather than differences in markdown syntax.
 */
export function markdownText(text: string): string {
  const out: string[] = [];
  const lists: Array<{ ordered: boolean; next: number }> = [];
  const inline = (children: readonly Token[] | null) => {
    for (const child of children ?? []) {
      if (child.type === "text" || child.type === "code_inline") out.push(child.content);
      else if (child.type === "softbreak" || child.type === "hardbreak") out.push("\n");
      else if (child.type === "image") inline(child.children);
    }
  };
  const endBlock = () => {
    if (out.length && !out[out.length - 1]!.endsWith("\n")) out.push("\n");
  };
  for (const token of md.parse(text, {})) {
    switch (token.type) {
      case "inline":
        inline(token.children);
        break;
      case "paragraph_close":
      case "heading_close":
      case "tr_close":
        endBlock();
        if (token.type !== "tr_close" && lists.length === 0) out.push("\n");
        break;
      case "th_close":
      case "td_close":
        out.push("\t");
        break;
      case "fence":
      case "code_block":
        endBlock();
        out.push(token.content);
        endBlock();
        break;
      case "hr":
        endBlock();
        break;
      case "bullet_list_open":
      case "ordered_list_open":
        endBlock();
        lists.push({ ordered: token.type === "ordered_list_open", next: Number(token.attrGet("start") ?? 1) });
        break;
      case "bullet_list_close":
      case "ordered_list_close":
        lists.pop();
        if (lists.length === 0) out.push("\n");
        break;
      case "list_item_open": {
        const list = lists[lists.length - 1];
        out.push("  ".repeat(Math.max(0, lists.length - 1)) + (list?.ordered ? `${list.next++}. ` : "• "));
        break;
      }
    }
  }
  return out.join("").replace(/\n{3,}/g, "\n\n").trim();
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

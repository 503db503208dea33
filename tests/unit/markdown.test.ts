import { describe, expect, it } from "vitest";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { Markdown, markdownText, renderMarkdown } from "../../app/components/markdown";

/** No executable markup may survive: assertions shared by every XSS case. */
function expectInert(html: string) {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<iframe/i);
  expect(html).not.toMatch(/<img[^>]*onerror/i);
  expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i); // no event-handler attribute on any real tag
  expect(html).not.toMatch(/(href|src)\s*=\s*"\s*(javascript|vbscript|data:text)/i);
}

describe("renderMarkdown: untrusted input", () => {
  const cases: [string, string][] = [
    ["script tag", "<script>alert(1)</script>"],
    ["img onerror", "<img src=x onerror=alert(1)>"],
    ["javascript: link", "[x](javascript:alert(1))"],
    ["JAVASCRIPT: link", "[x](JAVASCRIPT:alert(1))"],
    ["mixed-case link with spaces", "[x]( JaVaScRiPt:alert(1) )"],
    ["entity-encoded javascript: link", "[x](&#106;avascript:alert(1))"],
    ["raw anchor", '<a href="javascript:alert(1)">x</a>'],
    ["javascript: image", "![x](javascript:alert(1))"],
    ["data:text/html link", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"],
    ["data:text/html autolink", "<data:text/html,<script>alert(1)</script>>"],
    ["vbscript: link", "[x](vbscript:msgbox(1))"],
    ["javascript: autolink", "<javascript:alert(1)>"],
    ["javascript: reference link", "[x][r]\n\n[r]: javascript:alert(1)"],
    ["iframe", '<iframe src="https://evil.example"></iframe>'],
    ["onclick attribute", '<div onclick="alert(1)">click</div>'],
    ["svg onload", "<svg onload=alert(1)>"],
    ["code-fence info string", '```"><script>alert(1)</script>\nx\n```'],
  ];
  for (const [name, source] of cases) {
    it(`neutralizes ${name}`, () => expectInert(renderMarkdown(source)));
  }

  it("shows raw HTML as escaped text", () => {
    expect(renderMarkdown("<script>alert(1)</script>")).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(renderMarkdown('<div onclick="alert(1)">x</div>')).toContain("&lt;div onclick=&quot;alert(1)&quot;&gt;");
  });

  it("leaves a refused link as plain text, not an anchor", () => {
    const html = renderMarkdown("[x](javascript:alert(1))");
    expect(html).not.toContain("<a");
    expect(html).toContain("javascript:alert(1)");
  });
});

describe("renderMarkdown: links", () => {
  it("gives every link rel and target, including linkified URLs", () => {
    const html = renderMarkdown("[site](https://example.com) and https://example.org/x");
    const anchors = html.match(/<a [^>]*>/g) ?? [];
    expect(anchors).toHaveLength(2);
    for (const a of anchors) {
      expect(a).toContain('target="_blank"');
      expect(a).toContain('rel="noopener noreferrer nofollow"');
    }
    expect(html).toContain('href="https://example.com"');
    expect(html).toContain('href="https://example.org/x"');
  });

  it("keeps safe inline images, without a referrer", () => {
    const html = renderMarkdown("![chart](https://example.com/a.png)");
    expect(html).toContain('<img src="https://example.com/a.png" alt="chart"');
    expect(html).toContain('referrerpolicy="no-referrer"');
  });
});

describe("renderMarkdown: code", () => {
  it("highlights a python fence with highlight.js classes", () => {
    const html = renderMarkdown("```python\ndef f(x):\n    return '<b>'\n```");
    expect(html).toContain('<pre><code class="hljs language-python">');
    expect(html).toContain('<span class="hljs-keyword">def</span>');
    expect(html).toContain("&lt;b&gt;");
    expect(html).not.toContain("<b>");
  });

  it("knows the registered aliases (js, ts, sh)", () => {
    for (const lang of ["js", "ts", "sh", "json", "rust", "go", "java", "cpp", "sql", "css", "html", "bash", "typescript"]) {
      expect(renderMarkdown("```" + lang + "\nx = 1\n```")).toContain(`class="hljs language-${lang}"`);
    }
  });

  it("leaves an unknown language as escaped plain text", () => {
    const html = renderMarkdown("```brainfork\n<script>alert(1)</script>\n```");
    expect(html).not.toContain("hljs");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expectInert(html);
  });

  it("escapes an unlabelled fence and inline code", () => {
    expect(renderMarkdown("```\n<img src=x onerror=alert(1)>\n```")).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(renderMarkdown("`<b>`")).toContain("<code>&lt;b&gt;</code>");
  });
});

describe("<Markdown>", () => {
  it("renders the sanitized HTML inside a .markdown container", () => {
    const html = renderToStaticMarkup(createElement(Markdown, { text: "**hi** <script>x</script>" }));
    expect(html).toMatch(/^<div class="markdown">/);
    expect(html).toContain("<strong>hi</strong>");
    expect(html).not.toContain("<script");
  });
});

describe("markdownText: the text as displayed", () => {
  it("drops emphasis, code and link markup but keeps their words", () => {
    expect(markdownText("This is **bold**, _italic_ and `code`; see [the docs](https://example.com).")).toBe(
      "This is bold, italic and code; see the docs.",
    );
  });

  it("shows a fenced code block as its code, without the fences or the language", () => {
    expect(markdownText("Try:\n\n```python\nprint('hi')\n```\n\nDone.")).toBe("Try:\n\nprint('hi')\nDone.");
  });

  it("puts paragraphs, headings and list items on lines of their own, with bullets and numbers", () => {
    expect(markdownText("# Title\n\nIntro line one\nline two\n\n- first\n- second\n\n3. three\n4. four")).toBe(
      "Title\n\nIntro line one\nline two\n\n• first\n• second\n\n3. three\n4. four",
    );
  });

  it("keeps raw HTML as the text it is shown as", () => {
    expect(markdownText("a <script>alert(1)</script> b")).toBe("a <script>alert(1)</script> b");
  });

  it("shows a table's cells separated by tabs, a row a line", () => {
    expect(markdownText("| a | b |\n| - | - |\n| 1 | 2 |")).toBe("a\tb\t\n1\t2");
  });
});

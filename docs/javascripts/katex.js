// Maths with KaTeX, served from this site (docs/javascripts/katex/: a copy of the KaTeX release
// 0.19.1 from npm, MIT: katex.min.js, contrib/auto-render.min.js, fonts/*.woff2, and katex.min.css
// with its woff and ttf font fallbacks removed), so the pages render without a network connection.
// - pages and docstrings: pymdownx.arithmatex (generic mode) leaves `\(...\)` in span.arithmatex
//   and `\[...\]` in div.arithmatex;
// - notebooks (mkdocs-jupyter): the Markdown cells keep `$...$` and `$$...$$` as written.
// Material's `document$` fires on every page load (also with instant navigation).
const ARITHMATEX = [
  { left: "\\(", right: "\\)", display: false },
  { left: "\\[", right: "\\]", display: true },
];
const NOTEBOOK = [{ left: "$$", right: "$$", display: true }, { left: "$", right: "$", display: false }, ...ARITHMATEX];

document$.subscribe(({ body }) => {
  for (const element of body.querySelectorAll(".arithmatex")) {
    renderMathInElement(element, { delimiters: ARITHMATEX, throwOnError: false });
  }
  for (const element of body.querySelectorAll(".jp-RenderedMarkdown")) {
    renderMathInElement(element, { delimiters: NOTEBOOK, throwOnError: false });
  }
});

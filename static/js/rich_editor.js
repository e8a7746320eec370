/* The rich text editor (ORG-05): turns every <textarea data-rich-editor> into a contenteditable area with a small
   toolbar (bold, italic, heading, lists, link, image by URL, clear formatting, HTML source). The textarea stays in
   the form and always holds the current HTML, so submitting works exactly as without JavaScript; the server
   sanitises what arrives (app/content/sanitizer.py). Pasted HTML (WeChat articles, Xiumi, 135editor) is kept,
   after an inert parse here that drops scripts, event handlers and javascript: links before it is inserted.
   No dependencies; loaded by views/content/components/editor.html. */
(function () {
  if (window.tcRichEditor) { window.tcRichEditor.scan(document); return; }

  var DROP = "script,style,iframe,object,embed,link,meta,base,form,input,button,textarea,select,svg,math,noscript,template";

  function safeUrl(url, image) {
    var u = (url || "").trim();
    if (/^(https?:)?\/\//i.test(u) || /^\/(?!\/)/.test(u) || /^#/.test(u)) { return u; }
    if (image && /^data:image\/(png|jpeg|gif|webp);base64,/i.test(u)) { return u; }
    if (!image && /^mailto:/i.test(u)) { return u; }
    return "";
  }

  // Parse in an inert document (nothing runs, nothing loads), drop the dangerous parts, return the HTML.
  function clean(html) {
    var doc = new DOMParser().parseFromString("<body>" + (html || "") + "</body>", "text/html");
    doc.body.querySelectorAll(DROP).forEach(function (el) { el.remove(); });
    doc.body.querySelectorAll("*").forEach(function (el) {
      Array.prototype.slice.call(el.attributes).forEach(function (attr) {
        var name = attr.name.toLowerCase();
        if (name.indexOf("on") === 0) { el.removeAttribute(attr.name); }
        if (name === "href" || name === "src" || name === "data-src" || name === "xlink:href" || name === "action") {
          var ok = safeUrl(attr.value, el.tagName === "IMG");
          if (ok) { el.setAttribute(attr.name, ok); } else { el.removeAttribute(attr.name); }
        }
      });
      // WeChat lazy images: the real address is in data-src
      if (el.tagName === "IMG" && el.getAttribute("data-src")) {
        el.setAttribute("src", el.getAttribute("data-src"));
        el.removeAttribute("data-src");
      }
    });
    return doc.body.innerHTML;
  }

  function button(label, title, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "rich-btn";
    b.textContent = label;
    b.title = title;
    b.setAttribute("aria-label", title);
    b.addEventListener("mousedown", function (e) { e.preventDefault(); }); // keep the selection in the area
    b.addEventListener("click", action);
    return b;
  }

  function enhance(textarea) {
    if (textarea.getAttribute("data-rich-ready")) { return; }
    textarea.setAttribute("data-rich-ready", "1");
    var d = textarea.dataset;
    var wrap = document.createElement("div");
    wrap.className = "rich-editor";
    var bar = document.createElement("div");
    bar.className = "rich-toolbar";
    bar.setAttribute("role", "toolbar");
    var area = document.createElement("div");
    area.className = "rich-area";
    area.contentEditable = "true";
    area.setAttribute("role", "textbox");
    area.setAttribute("aria-multiline", "true");
    area.setAttribute("aria-label", d.labelArea || "");
    area.innerHTML = clean(textarea.value);
    var sourceMode = false;

    function sync() { if (!sourceMode) { textarea.value = area.innerHTML; } }
    function run(command, value) {
      area.focus();
      document.execCommand(command, false, value === undefined ? null : value);
      sync();
    }
    function inBlock(tag) {
      var sel = window.getSelection();
      var node = sel && sel.anchorNode;
      while (node && node !== area) {
        if (node.nodeName === tag) { return true; }
        node = node.parentNode;
      }
      return false;
    }

    bar.appendChild(button("B", d.labelBold, function () { run("bold"); }));
    bar.appendChild(button("I", d.labelItalic, function () { run("italic"); }));
    bar.appendChild(button("H", d.labelHeading, function () { run("formatBlock", inBlock("H2") ? "<p>" : "<h2>"); }));
    bar.appendChild(button("\u2022", d.labelList, function () { run("insertUnorderedList"); }));
    bar.appendChild(button("1.", d.labelNumbered, function () { run("insertOrderedList"); }));
    bar.appendChild(button(d.labelLink || "Link", d.labelLink, function () {
      var url = safeUrl(window.prompt(d.promptLink || "URL", "https://"), false);
      if (url) { run("createLink", url); }
    }));
    bar.appendChild(button(d.labelImage || "Image", d.labelImage, function () {
      var url = safeUrl(window.prompt(d.promptImage || "URL", "https://"), true);
      if (url) { run("insertImage", url); }
    }));
    bar.appendChild(button(d.labelClear || "Clear", d.labelClear, function () { run("removeFormat"); run("unlink"); }));
    var source = button("</>", d.labelSource, function () {
      sourceMode = !sourceMode;
      if (sourceMode) {
        textarea.value = area.innerHTML;
        wrap.classList.add("rich-source-mode");
        textarea.focus();
      } else {
        area.innerHTML = clean(textarea.value);
        wrap.classList.remove("rich-source-mode");
        sync();
      }
      source.setAttribute("aria-pressed", sourceMode ? "true" : "false");
    });
    source.setAttribute("aria-pressed", "false");
    bar.appendChild(source);

    area.addEventListener("input", sync);
    area.addEventListener("blur", sync);
    area.addEventListener("paste", function (e) {
      var data = e.clipboardData;
      if (!data) { return; }
      var html = data.getData("text/html");
      if (!html) { return; } // plain text: the browser inserts it as text
      e.preventDefault();
      document.execCommand("insertHTML", false, clean(html));
      sync();
    });
    if (textarea.form) {
      textarea.form.addEventListener("submit", sync, true);
      textarea.form.addEventListener("formdata", function (e) {
        if (!sourceMode && e.formData) { e.formData.set(textarea.name, area.innerHTML); }
      });
    }
    // a required textarea is hidden: let the browser's check fall back to the area
    textarea.addEventListener("invalid", function () { area.focus(); });

    textarea.parentNode.insertBefore(wrap, textarea);
    wrap.appendChild(bar);
    wrap.appendChild(area);
    wrap.appendChild(textarea);
    textarea.classList.add("rich-hidden");
  }

  function scan(root) {
    (root || document).querySelectorAll("textarea[data-rich-editor]").forEach(enhance);
  }

  window.tcRichEditor = { scan: scan, clean: clean };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
  document.addEventListener("htmx:load", function (e) { scan(e.target); });
})();

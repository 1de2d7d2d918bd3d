"use strict";
// Redoc's sidebar always shows a logo read from Redocly's CDN. The site's policy allows images
// from auditor only, so the browser would block it and report a violation: ask for nothing
// instead (the logo's error handler then hides it). Loaded before the Redoc bundle.
(function () {
  const CDN = "https://cdn.redoc.ly/";
  const local = (value) => (String(value).startsWith(CDN) ? "data:," : value);
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    return setAttribute.call(this, name, this.tagName === "IMG" && name === "src" ? local(value) : value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(value) {
      src.set.call(this, local(value));
    },
  });
})();

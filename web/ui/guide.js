// guide.js - a practice lab's guide (Markdown written by the lab's owner)
// turned into DOM nodes that are safe to show: marked renders it, DOMPurify
// keeps plain HTML only. No script, no event handler, no style, no form, no
// frame, plugin or media; images are replaced by their alt text (nothing
// remote is fetched); links open in a new tab with rel="noopener
// noreferrer", and only http(s), mailto and in-page ones are kept. The
// page's Content-Security-Policy (web/ui.c) is the second fence.
import { Marked } from '/ui/vendor/marked.esm.js';
import createDOMPurify from '/ui/vendor/purify.es.mjs';

// Bounded like the daemon's guide (64 KiB): a longer text is cut, not rendered slowly.
const GUIDE_MAX = 64 * 1024;

const md = new Marked({ gfm: true, breaks: false, async: false });
const purify = createDOMPurify(window);
const SAFE_HREF = /^(https?:|mailto:|#)/i;

purify.addHook('afterSanitizeAttributes', (node) => {
	if (node.tagName !== 'A') return;
	const href = node.getAttribute('href') || '';
	if (!SAFE_HREF.test(href.trim())) {
		node.removeAttribute('href');
		return;
	}
	if (!href.startsWith('#')) {
		node.setAttribute('target', '_blank');
		node.setAttribute('rel', 'noopener noreferrer');
	}
});

const CONFIG = {
	USE_PROFILES: { html: true }, // no SVG, no MathML
	FORBID_TAGS: ['style', 'link', 'meta', 'base', 'form', 'button', 'select', 'textarea', 'iframe', 'frame',
		'object', 'embed', 'video', 'audio', 'source', 'track', 'picture', 'dialog', 'template',
		// <input type=image src=...> fetches its image like an <img>; <area href> is a link the hook above never sees.
		'input', 'map', 'area'],
	FORBID_ATTR: ['style', 'srcset', 'action', 'formaction', 'ping', 'background', 'poster'],
	ALLOW_DATA_ATTR: false,
	SANITIZE_NAMED_PROPS: true, // ids and names cannot clobber the page's globals
	RETURN_DOM_FRAGMENT: true,
};

// renderGuide - the Markdown text as a DocumentFragment of sanitized nodes.
export function renderGuide(text) {
	const html = md.parse(String(text || '').slice(0, GUIDE_MAX));
	const frag = purify.sanitize(html, CONFIG);
	/* No image loads: a remote one would tell a third party who reads the guide. */
	for (const img of frag.querySelectorAll('img')) {
		const alt = img.getAttribute('alt');
		img.replaceWith(document.createTextNode(alt ? `[image: ${alt}]` : '[image]'));
	}
	return frag;
}

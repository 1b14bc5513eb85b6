/* HotConsent enhanced measurement: scroll depth, outbound clicks, file downloads
   and site search, sent through the tracker (so through the gateway's anonymizer).
   Appended to /c/<site>.js only for sites that switch it on; the server calls it
   with the tracker's track function (t) and the site's choices (M). */
((t, M) => {
  const d = document, loc = location;
  if (M.s) {
    let done;
    const deep = () => {
      const h = d.documentElement;
      if (!done && scrollY + innerHeight >= h.scrollHeight * .9 && h.scrollHeight > innerHeight) {
        done = 1;
        t('scroll', {percent_scrolled: 90});
      }
    };
    addEventListener('scroll', deep, {passive: true});
  }
  if (M.o || M.d) {
    const files = /\.(pdf|xlsx?|docx?|txt|rtf|csv|exe|key|pp[st]x?|7z|pkg|rar|gz|zip|avi|mov|mp4|mpe?g|wmv|midi?|mp3|wav|wma|apk|dmg)$/i;
    d.addEventListener('click', e => {
      const a = e.target.closest && e.target.closest('a[href]');
      let u;
      try { u = new URL(a.href, loc.href); } catch (x) { return; }
      if (!/^https?:$/.test(u.protocol)) return;
      const m = u.pathname.match(files), own = u.hostname == loc.hostname;
      // Only the host of an outbound link; only the path of one of the site's own files.
      if (m && M.d) t('file_download', own ? {file_extension: m[1].toLowerCase(), file_name: u.pathname} : {file_extension: m[1].toLowerCase(), link_domain: u.hostname});
      else if (!own && M.o) t('click', {link_domain: u.hostname, outbound: 1});
    }, true);
  }
  if (M.q) {
    const p = new URLSearchParams(loc.search), k = M.q.find(n => p.get(n));
    if (k) t('view_search_results', {search_term: p.get(k).slice(0, 100)});
  }
})

"""What a browser on the SEC's page sends with each POST (``SEC_API.md``): the service is
asked the way its own page asks it."""

BROWSER_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "Accept": "application/json, text/javascript, */*; q=0.01",
    "Origin": "https://apps.sec.cl",
    "Referer": "https://apps.sec.cl/INTONLINEv1/index.aspx",
    "X-Requested-With": "XMLHttpRequest",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36 sec_assets",
}

"""HTML pages the way IIS, HTTP.sys, ASP.NET and a web application firewall write them."""

from __future__ import annotations

_IIS_STYLE = (
    '<style type="text/css">body{margin:0;font-size:.7em;font-family:Verdana,Arial,Helvetica,'
    "sans-serif;background:#EEEEEE;}fieldset{padding:0 15px 10px 15px;}h1{font-size:2.4em;"
    "margin:0;color:#FFF;}h2{font-size:1.7em;margin:0;color:#CC0000;}h3{font-size:1.2em;"
    "margin:10px 0 0 0;color:#000000;}#header{width:96%;margin:0 0 0 0;padding:6px 2% 6px 2%;"
    'font-family:"trebuchet MS",Verdana,sans-serif;color:#FFF;background-color:#555555;}'
    "</style>"
)


def iis_error_page(title: str, detail: str) -> str:
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\r\n'
        '<html xmlns="http://www.w3.org/1999/xhtml">\r\n<head>\r\n'
        '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>\r\n'
        f"<title>{title}</title>\r\n{_IIS_STYLE}\r\n</head>\r\n<body>\r\n"
        '<div id="header"><h1>Server Error</h1></div>\r\n<div id="content">\r\n'
        f' <div class="content-container"><fieldset>\r\n  <h2>{title}</h2>\r\n'
        f"  <h3>{detail}</h3>\r\n </fieldset></div>\r\n</div>\r\n</body>\r\n</html>\r\n"
    )


NOT_FOUND = iis_error_page(
    "404 - File or directory not found.",
    "The resource you are looking for might have been removed, had its name changed, "
    "or is temporarily unavailable.",
)
INTERNAL_ERROR = iis_error_page(
    "500 - Internal server error.",
    "There is a problem with the resource you are looking for, and it cannot be displayed.",
)
METHOD_NOT_ALLOWED = iis_error_page(
    "405 - HTTP verb used to access this page is not allowed.",
    "The page you are looking for cannot be displayed because an invalid method "
    "(HTTP verb) was used to attempt access.",
)
SERVICE_UNAVAILABLE = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">'
    "\r\n<HTML><HEAD><TITLE>Service Unavailable</TITLE>\r\n"
    '<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n'
    "<BODY><h2>Service Unavailable</h2>\r\n<hr><p>HTTP Error 503. The service is unavailable."
    "</p>\r\n</BODY></HTML>\r\n"
)
TOO_MANY_REQUESTS = iis_error_page(
    "429 - Too Many Requests.", "The client has sent too many requests in a given amount of time."
)


def block_page(support_id: int) -> str:
    """The page a web application firewall shows to a blocked address."""
    return (
        "<html><head><title>Request Rejected</title></head><body>"
        "The requested URL was rejected. Please consult with your administrator.<br><br>"
        f"Your support ID is: {support_id}<br><br>"
        "<a href='javascript:history.back();'>[Go Back]</a></body></html>"
    )


def aspnet_runtime_error(app: str = "/INTONLINEv1") -> str:
    """The ASP.NET "yellow screen" served with status 200 by a misconfigured front end."""
    return (
        "<!DOCTYPE html>\r\n<html>\r\n    <head>\r\n        <title>Runtime Error</title>\r\n"
        '        <meta name="viewport" content="width=device-width" />\r\n    </head>\r\n'
        '    <body bgcolor="white">\r\n'
        f"            <span><H1>Server Error in '{app}' Application.<hr width=100% size=1 "
        "color=silver></H1>\r\n            <h2> <i>Runtime Error</i> </h2></span>\r\n"
        "            <b> Description: </b>An application error occurred on the server. The "
        "current custom error settings for this application prevent the details of the "
        "application error from being viewed remotely (for security reasons).<br><br>\r\n"
        "    </body>\r\n</html>\r\n"
    )

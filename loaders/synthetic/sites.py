"""The bundled synthetic sites, in the order they are generated."""

from __future__ import annotations

from typing import Final

from loaders.synthetic.profile import SiteProfile
from loaders.synthetic.sites_allo import EU_ALLOMM
from loaders.synthetic.sites_aml import EU_AMLT, FR_AMLRW, UK_AMLX
from loaders.synthetic.sites_cml import EU_CMLSTOP
from loaders.synthetic.sites_mm import ES_MMT, IT_MMT
from loaders.synthetic.sites_mm_rw import DE_MMRW

SITES: Final[tuple[SiteProfile, ...]] = (
    IT_MMT,
    ES_MMT,
    DE_MMRW,
    EU_ALLOMM,
    EU_AMLT,
    FR_AMLRW,
    UK_AMLX,
    EU_CMLSTOP,
)
SITES_BY_CODE: Final = {s.code: s for s in SITES}


def site(code: str) -> SiteProfile:
    """The bundled site ``code``; the error lists the valid codes."""
    try:
        return SITES_BY_CODE[code]
    except KeyError:
        raise KeyError(
            f"unknown synthetic site {code!r}; valid: {', '.join(SITES_BY_CODE)}"
        ) from None

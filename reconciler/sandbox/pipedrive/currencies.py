"""The currencies a company can use: ``GET /api/v1/currencies`` and the check every money field makes.

Why a table: Pipedrive refuses a deal, product price, lead value or monetary custom field in a
currency the account does not have, and ``GET /v1/currencies`` (current v1, in the official client
33.x: ``CurrenciesApi.getCurrencies``, model ``GetCurrenciesResponse``) lists them; without the
table the sandbox took any three capital letters (``XYZ``). The list is the ISO 4217 active
currencies (code, English name, minor-unit digits; the common symbols, else the code), which is
what a Pipedrive company offers; the sandbox has no custom currencies (``is_custom_flag`` false).
"""

from __future__ import annotations

from typing import Any

from .base import Ctx, Router
from .currency_codes import CURRENCIES


def currency_v1(index: int, row: tuple[str, str, int, str]) -> dict[str, Any]:
    code, name, decimals, symbol = row
    return {"id": index, "code": code, "name": name, "decimal_points": decimals, "symbol": symbol,
            "active_flag": True, "is_custom_flag": False}


def register(router: Router) -> None:
    def list_currencies(ctx: Ctx) -> tuple[int, Any]:
        term = (ctx.query.get("term") or "").strip().lower()
        data = [currency_v1(i, row) for i, row in enumerate(CURRENCIES, start=1)
                if not term or term in row[0].lower() or term in row[1].lower()]
        return 200, {"success": True, "data": data}

    router.add("/api/v1/currencies", get=list_currencies)

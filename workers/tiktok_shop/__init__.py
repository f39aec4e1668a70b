"""TikTok Shop: the Open API client (client.py), its signing (signing.py) and errors (errors.py).
The values it hands back are core's: `core.shop` (Shop, ShopTokens, VideoProducts) and
`core.products.ShopProduct`."""

from workers.tiktok_shop.client import ShopClient, client_for
from workers.tiktok_shop.errors import ShopError
from workers.tiktok_shop.signing import sign

__all__ = ["ShopClient", "ShopError", "client_for", "sign"]

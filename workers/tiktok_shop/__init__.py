"""TikTok Shop: the Open API client (client.py), its signing (signing.py) and errors (errors.py)."""

from workers.tiktok_shop.client import Shop, ShopClient, ShopTokens, VideoProducts
from workers.tiktok_shop.errors import ShopError
from workers.tiktok_shop.signing import sign

__all__ = ["Shop", "ShopClient", "ShopError", "ShopTokens", "VideoProducts", "sign"]

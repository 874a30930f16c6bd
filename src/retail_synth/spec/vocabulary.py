"""The closed vocabularies of the model: channels, brands, sizes, payment methods, traffic sources,
devices, fit outcomes, source systems and checkout stages.

Each is declared once. The model draws from them, the tables spell them, and
configuration checks that a distribution names only their labels, all
without importing one another.
"""

from __future__ import annotations

# code, name, type, category, device, is_digital, is_owned, commission_rate
CHANNELS = (
    ("WEB_DESKTOP", "Web Desktop", "web", "digital", "desktop", True, True, 0.0),
    ("WEB_MOBILE", "Web Mobile", "web", "digital", "mobile", True, True, 0.0),
    ("APP_IOS", "iOS App", "app", "digital", "mobile", True, True, 0.0),
    ("APP_ANDROID", "Android App", "app", "digital", "mobile", True, True, 0.0),
    ("STORE_POS", "Store Point of Sale", "store", "physical", "in_store", False, True, 0.0),
    ("STORE_KIOSK", "Store Kiosk", "store", "physical", "in_store", False, True, 0.0),
    ("SOCIAL_FB", "Facebook Shop", "social", "third_party", "mobile", True, False, 0.05),
    ("MARKETPLACE_AMAZON", "Amazon Marketplace", "marketplace", "third_party", "mixed", True, False, 0.15),
)

CHANNEL_CODES = tuple(row[0] for row in CHANNELS)
DIGITAL_CHANNEL_CODES = tuple(row[0] for row in CHANNELS if row[5])
STORE_CHANNEL_CODES = tuple(row[0] for row in CHANNELS if not row[5])

APPAREL_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
WAIST_SIZES = tuple(str(w) for w in range(26, 41, 2))

# brand, sku prefix, price tier (fictional brands)
BRANDS = (
    ("Everyday Edit", "EVE", "value"), ("Northwind Basics", "NWB", "value"),
    ("Maple Street", "MPS", "value"), ("Sunny Lane", "SUL", "value"),
    ("Harbor & Pine", "HNP", "mid"), ("Urban Thread", "URT", "mid"),
    ("Coastline Co.", "CST", "mid"), ("Juniper Lane", "JNL", "mid"), ("Fable & Finch", "FNF", "mid"),
    ("Ironwood Supply", "IWS", "premium"), ("Sable & Stone", "SNS", "premium"),
    ("Wildflower Studio", "WFS", "premium"), ("Copper Ridge", "CPR", "premium"),
    ("Atelier Noir", "ATN", "luxury"), ("Maison Verre", "MSV", "luxury"), ("Lumen Row", "LMR", "luxury"),
)
BRAND_CODES = tuple(b[1] for b in BRANDS)     # the labels of distributions.brand

MAX_QUANTITY = 99                                  # largest units of a line distributions.quantity may declare

PAYMENT_METHODS = ("credit_card", "debit_card", "cash", "gift_card", "paypal", "mobile_wallet")   # distributions.payment_method

# ---- traffic sources by name: utm_source, utm_medium, utm_campaign, referrer of the first page
SOURCES = {
    "direct": ("direct", "none", None, None),
    "google_organic": ("google", "organic", None, "https://www.google.com/"),
    "google_cpc": ("google", "cpc", "brand_search", "https://www.google.com/"),
    "facebook": ("facebook", "social", "seasonal_social", "https://www.facebook.com/"),
    "instagram": ("instagram", "social", "seasonal_social", "https://www.instagram.com/"),
    "email_newsletter": ("email", "email", "newsletter", None),
    "app_push": ("app", "push", "app_push", None),
    "amazon": ("amazon", "marketplace", None, "https://www.amazon.com/"),
    "email_cart_recovery": ("email", "email", "cart_recovery", None),
}
RECOVERY_SOURCE = len(SOURCES) - 1
# what distributions.session_source may name; recovery sessions come from the email
DRAWN_SOURCES = tuple(SOURCES)[:RECOVERY_SOURCE]

# ---- devices: device_type, browser, operating_system; 'app' browsers are native app events
DEVICES = (
    ("desktop", "chrome", "windows"), ("desktop", "edge", "windows"), ("desktop", "firefox", "windows"),
    ("desktop", "chrome", "macos"), ("desktop", "safari", "macos"),
    ("mobile", "safari", "ios"), ("mobile", "chrome", "android"), ("mobile", "samsung_internet", "android"),
    ("tablet", "safari", "ios"),
    ("mobile", "app", "ios"), ("tablet", "app", "ios"), ("mobile", "app", "android"), ("tablet", "app", "android"),
    ("mobile", "facebook_in_app", "ios"), ("mobile", "facebook_in_app", "android"),
    ("kiosk", "kiosk", "linux"),
)
DEVICE_NAMES = tuple("_".join(d) for d in DEVICES)   # what distributions.session_device names: desktop_chrome_windows, ...

# ---- the outcomes of the size-fit draws (distributions.ordered_size, return_reason, kept_fit)
SIZE_COMPARISONS = ("smaller", "same", "larger")         # index = sign(ordered - recommended) + 1
FITS = ("too_small", "perfect", "too_large")
RETURN_REASONS = ("too_small", "too_large", "changed_mind", "quality_issue", "style_not_as_expected")

# ---- source_system codes
STORE_SOURCE, DIGITAL_SOURCE, WAREHOUSE_SOURCE = "POS", "ECOM", "WMS"

# ---- the checkout step a cart was abandoned at: its abandonment row, and whether its session reached checkout
ABANDONMENT_STAGES = ("cart", "shipping", "payment", "review")     # drawn as distributions.abandonment_stage declares

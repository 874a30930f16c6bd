"""The product catalogue: category hierarchy, brands, materials, prices and life cycle.

Attributes are drawn so they agree with each other: the product name is built
from its brand, material and type; colours come from what the material is
made in; sustainability follows the material; margin_percent is computed from
the rounded price and cost (the generator this replaces drew brand, name and
margin independently).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_synth.spec import hashing
from retail_synth.spec.contracts import to_arrow_table
from retail_synth.spec.distributions import Normal, Uniform
from retail_synth.spec.ids import PRODUCT_KEY_DIGITS, product_ids
from retail_synth.spec.run_config import DistributionParams
from retail_synth.spec.vocabulary import APPAREL_SIZES, BRAND_CODES, BRANDS, WAIST_SIZES

SHOE_SIZES = tuple(str(s) for s in range(5, 12))

# level_2 -> (level_1, share of the catalogue, size range, style words for names)
SUBCATEGORIES = {
    "tops": ("apparel", 0.24, APPAREL_SIZES, ("Classic", "Relaxed", "Cropped", "Oversized", "Fitted", "Everyday")),
    "bottoms": ("apparel", 0.15, WAIST_SIZES, ("Slim", "Straight", "Wide-Leg", "Relaxed", "Tapered", "High-Rise")),
    "dresses": ("apparel", 0.13, APPAREL_SIZES, ("Flowy", "Tiered", "Fitted", "Belted", "Classic", "Pleated")),
    "outerwear": ("apparel", 0.10, APPAREL_SIZES, ("Classic", "Hooded", "Longline", "Cropped", "Tailored", "Quilted")),
    "bags": ("accessories", 0.10, None, ("Mini", "Classic", "Structured", "Everyday", "Oversized", "Soft")),
    "jewelry": ("accessories", 0.08, None, ("Delicate", "Chunky", "Layered", "Minimal", "Statement", "Twisted")),
    "scarves": ("accessories", 0.05, None, ("Printed", "Classic", "Striped", "Lightweight", "Fringed", "Checked")),
    "shoes": ("footwear", 0.15, SHOE_SIZES, ("Classic", "Everyday", "Platform", "Minimal", "Retro", "Cushioned")),
}
CATEGORY_LEVEL_1 = tuple(dict.fromkeys(level_1 for level_1, *_ in SUBCATEGORIES.values()))
CATEGORY_LEVEL_2 = tuple(SUBCATEGORIES)

# level_3, level_2, type code, noun in the name, regular price at the 'mid' tier, materials
PRODUCT_TYPES = (
    ("t-shirts", "tops", "TSH", "T-Shirt", 28.0, ("cotton", "organic cotton")),
    ("blouses", "tops", "BLO", "Blouse", 58.0, ("silk", "viscose", "cotton")),
    ("shirts", "tops", "SHT", "Shirt", 62.0, ("cotton", "linen", "organic cotton")),
    ("sweaters", "tops", "SWT", "Sweater", 78.0, ("wool", "cashmere", "cotton")),
    ("polos", "tops", "POL", "Polo", 45.0, ("cotton", "organic cotton")),
    ("hoodies", "tops", "HOD", "Hoodie", 60.0, ("cotton", "organic cotton", "recycled polyester")),
    ("tank tops", "tops", "TNK", "Tank Top", 22.0, ("cotton", "organic cotton", "tencel lyocell")),
    ("jeans", "bottoms", "JEA", "Jeans", 78.0, ("denim",)),
    ("chinos", "bottoms", "CHI", "Chinos", 62.0, ("cotton", "organic cotton")),
    ("trousers", "bottoms", "TRO", "Trousers", 80.0, ("wool", "viscose", "linen")),
    ("shorts", "bottoms", "SHO", "Shorts", 42.0, ("cotton", "linen", "denim")),
    ("skirts", "bottoms", "SKI", "Skirt", 55.0, ("cotton", "viscose", "denim", "wool")),
    ("midi dresses", "dresses", "MID", "Midi Dress", 92.0, ("viscose", "silk", "cotton", "tencel lyocell")),
    ("maxi dresses", "dresses", "MAX", "Maxi Dress", 105.0, ("viscose", "cotton", "linen")),
    ("wrap dresses", "dresses", "WRP", "Wrap Dress", 88.0, ("viscose", "silk")),
    ("shirt dresses", "dresses", "SDR", "Shirt Dress", 82.0, ("cotton", "linen", "organic cotton")),
    ("slip dresses", "dresses", "SLP", "Slip Dress", 78.0, ("silk", "viscose")),
    ("parkas", "outerwear", "PRK", "Parka", 210.0, ("nylon", "recycled nylon")),
    ("trench coats", "outerwear", "TRN", "Trench Coat", 185.0, ("cotton", "wool")),
    ("jackets", "outerwear", "JKT", "Jacket", 95.0, ("denim", "leather", "suede")),
    ("puffer jackets", "outerwear", "PUF", "Puffer Jacket", 165.0, ("nylon", "recycled nylon", "recycled polyester")),
    ("blazers", "outerwear", "BLZ", "Blazer", 145.0, ("wool", "linen")),
    ("coats", "outerwear", "COA", "Coat", 230.0, ("wool", "cashmere")),
    ("totes", "bags", "TOT", "Tote", 65.0, ("leather", "canvas")),
    ("crossbody bags", "bags", "CRB", "Crossbody Bag", 85.0, ("leather", "suede")),
    ("backpacks", "bags", "BPK", "Backpack", 75.0, ("nylon", "recycled nylon", "canvas", "leather")),
    ("clutches", "bags", "CLU", "Clutch", 55.0, ("leather", "suede", "silk")),
    ("necklaces", "jewelry", "NCK", "Necklace", 45.0, ("sterling silver", "gold-plated brass", "recycled sterling silver")),
    ("earrings", "jewelry", "EAR", "Earrings", 32.0, ("sterling silver", "gold-plated brass", "recycled sterling silver")),
    ("bracelets", "jewelry", "BRC", "Bracelet", 38.0, ("sterling silver", "gold-plated brass", "recycled sterling silver")),
    ("rings", "jewelry", "RNG", "Ring", 30.0, ("sterling silver", "gold-plated brass", "recycled sterling silver")),
    ("square scarves", "scarves", "SQS", "Square Scarf", 58.0, ("silk", "cotton")),
    ("wraps", "scarves", "WRA", "Wrap", 48.0, ("wool", "cashmere")),
    ("bandanas", "scarves", "BAN", "Bandana", 16.0, ("cotton", "organic cotton")),
    ("sneakers", "shoes", "SNK", "Sneakers", 90.0, ("leather", "canvas", "recycled polyester")),
    ("boots", "shoes", "BOO", "Boots", 150.0, ("leather", "suede")),
    ("loafers", "shoes", "LOA", "Loafers", 115.0, ("leather", "suede")),
    ("sandals", "shoes", "SAN", "Sandals", 60.0, ("leather",)),
    ("heels", "shoes", "HEE", "Heels", 105.0, ("leather", "suede")),
    ("flats", "shoes", "FLA", "Ballet Flats", 72.0, ("leather", "suede")),
)

_TEXTILE_COLOURS = ("black", "white", "blue", "grey", "green", "red", "pink", "neutral")
# material -> (word in the product name, compositions, colour families it is made in, certified sustainable)
MATERIALS = {
    "cotton": ("Cotton", ("100% cotton", "95% cotton, 5% elastane", "60% cotton, 40% polyester"), _TEXTILE_COLOURS, False),
    "organic cotton": ("Organic Cotton", ("100% organic cotton", "95% organic cotton, 5% elastane"), _TEXTILE_COLOURS, True),
    "linen": ("Linen", ("100% linen", "55% linen, 45% cotton"), ("white", "neutral", "blue", "green"), False),
    "wool": ("Wool", ("100% wool", "80% wool, 20% polyamide"),
        ("black", "grey", "neutral", "blue", "red", "green", "brown"), False),
    "cashmere": ("Cashmere", ("100% cashmere", "90% cashmere, 10% silk"), ("black", "grey", "neutral", "blue", "brown"), False),
    "silk": ("Silk", ("100% silk", "92% silk, 8% elastane"),
        ("black", "white", "blue", "red", "pink", "neutral", "green"), False),
    "viscose": ("Viscose", ("100% viscose", "95% viscose, 5% elastane"), _TEXTILE_COLOURS, False),
    "tencel lyocell": ("Tencel", ("100% tencel lyocell", "70% tencel lyocell, 30% organic cotton"), _TEXTILE_COLOURS, True),
    "recycled polyester": ("Recycled", ("100% recycled polyester", "80% recycled polyester, 20% elastane"),
        ("black", "blue", "grey", "green", "red"), True),
    "nylon": ("Nylon", ("100% nylon", "shell: 100% nylon; fill: 100% polyester"),
        ("black", "blue", "green", "red", "grey"), False),
    "recycled nylon": ("Recycled Nylon", ("100% recycled nylon", "shell: 100% recycled nylon; fill: 100% recycled polyester"),
        ("black", "blue", "green", "grey"), True),
    "denim": ("Denim", ("100% cotton", "99% cotton, 1% elastane", "98% cotton, 2% elastane"),
        ("blue", "black", "grey", "white"), False),
    "leather": ("Leather", ("100% leather", "100% cowhide leather"), ("black", "brown", "neutral"), False),
    "suede": ("Suede", ("100% suede", "100% goat suede"), ("black", "brown", "neutral", "grey"), False),
    "canvas": ("Canvas", ("100% cotton canvas", "cotton canvas, leather trim"),
        ("black", "neutral", "blue", "green", "white"), False),
    "sterling silver": ("Sterling Silver", ("925 sterling silver",), ("silver",), False),
    "recycled sterling silver": ("Recycled Silver", ("925 recycled sterling silver",), ("silver",), True),
    "gold-plated brass": ("Gold-Plated", ("18k gold plating over brass",), ("gold",), False),
}
MATERIAL_NAMES = tuple(MATERIALS)
COLOUR_NAMES = {
    "black": ("black", "jet", "onyx"), "white": ("white", "ivory", "cream"),
    "blue": ("navy", "cobalt", "indigo"), "grey": ("charcoal", "heather grey", "slate"),
    "green": ("olive", "sage", "forest"), "red": ("burgundy", "crimson", "cherry"),
    "pink": ("blush", "rose", "dusty pink"), "neutral": ("camel", "sand", "oatmeal"),
    "brown": ("chocolate", "cognac", "tan"), "silver": ("silver", "oxidized silver", "platinum"),
    "gold": ("gold", "rose gold", "champagne"),
}

# tier -> (price multiplier on the 'mid' price, target gross margin)
PRICE_TIERS = {"value": (0.6, 0.45), "mid": (1.0, 0.55), "premium": (1.8, 0.62), "luxury": (3.5, 0.70)}
COLLECTIONS = (
    "Essentials", "Coastal Weekend", "City Edit", "Heritage", "Resort", "Holiday Capsule",
    "Studio", "Modern Classics", "Off-Duty", "Artisan",
)
MIN_PRICE_FACTOR = 0.05              # floor of 1 + price jitter: a normal jitter's far tail must not price at zero
MARGIN_JITTER = 0.03                 # +/- points around the tier margin
LAUNCH_WINDOW_DAYS = 730             # products launched within two years before the reference day


def _pick(seed: int, stream: str, options: Sequence[Sequence[int]], row: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """For each product, a uniform pick among options[row] (ragged lists of indices)."""
    lengths = np.array([len(o) for o in options])
    table = np.array([list(o) + [0] * (lengths.max() - len(o)) for o in options])
    return table[row, np.floor(hashing.uniform(seed, stream, keys) * lengths[row]).astype(np.int64)]


def _retail_price(raw: np.ndarray) -> np.ndarray:
    """Charm prices: x.99 below 100, then steps of 5 ending in 4.99 or 9.99."""
    return np.round(np.where(raw < 100, np.floor(raw) + 0.99, np.ceil(raw / 5) * 5 - 0.01), 2)


def _season_code(days: np.ndarray) -> pa.Array:
    """SS covers February-July launches, FW August-January (January closes the previous year's FW)."""
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    spring = (month >= 2) & (month <= 7)
    season_year = np.where(month == 1, year - 1, year) % 100
    return pc.binary_join_element_wise(
        pa.array(np.where(spring, "SS", "FW")),
        pc.utf8_lpad(pa.array(season_year).cast(pa.string()), width=2, padding="0"),
        "",
    )


def build_product_dim(
    product_count: int,
    seed: int,
    reference_day: datetime.date,
    plan_days: int,
    active_share: float,
    etl_timestamp: datetime.datetime,
    distributions: DistributionParams,
    written_days: int | None = None,
) -> pa.Table:
    """The catalogue; (1 - active_share) of it reaches end of life inside the plan (plan_days from reference_day).

    is_active is as of the last of the `written_days` days from reference_day (default: the plan's last day),
    false from the day after end_of_life_date (a type-1 change an extend applies in place), so a run that ends
    before the plan does shows the products it has not yet seen discontinued as active.

    Brands (and with them price tiers) and the price jitter follow their declarations in `distributions`.
    Each product gets a type, then a material its type is made of and a brand;
    everything else follows from those three and the product's own draws.
    """
    keys = np.arange(1, product_count + 1)
    kind = _product_type(seed, keys)
    material = _pick(seed, "product.material", [[MATERIAL_NAMES.index(m) for m in t[5]] for t in PRODUCT_TYPES], kind, keys)
    brand = distributions.brand.draw_from(BRAND_CODES, seed, "product.brand", keys)
    columns = {
        "product_key": keys.astype(np.int32),
        "product_id": product_ids(keys),
        "sku": _sku(keys, brand, kind),
        "product_name": _product_name(seed, keys, brand, material, kind),
        "brand": np.array([b[0] for b in BRANDS])[brand],
        **_category_columns(kind),
        **_material_columns(seed, keys, material),
        "collection_name": np.array(COLLECTIONS)[hashing.integers(seed, "product.collection", 0, len(COLLECTIONS) - 1, keys)],
        **_life_cycle_columns(seed, keys, reference_day, plan_days, active_share,
                              plan_days if written_days is None else written_days),
        **_price_columns(seed, keys, kind, brand, distributions.price_jitter),
        "price_tier": np.array([b[2] for b in BRANDS])[brand],
        "source_system": np.full(product_count, "PIM"),
        "etl_timestamp": [etl_timestamp] * product_count,
    }
    return to_arrow_table("gold_product_dim", columns)


def _product_type(seed: int, keys: np.ndarray) -> np.ndarray:
    """Index into PRODUCT_TYPES of each product: a subcategory by its share, then one of its types alike."""
    type_weights = np.array([SUBCATEGORIES[t[1]][1] for t in PRODUCT_TYPES])
    type_weights /= np.array([sum(u[1] == t[1] for u in PRODUCT_TYPES) for t in PRODUCT_TYPES])
    return hashing.choice(seed, "product.type", type_weights, keys)


def _subcategory(kind: np.ndarray) -> np.ndarray:
    """Index into CATEGORY_LEVEL_2 of each product's type."""
    return np.array([CATEGORY_LEVEL_2.index(t[1]) for t in PRODUCT_TYPES])[kind]


def _category_columns(kind: np.ndarray) -> dict[str, np.ndarray]:
    """The category hierarchy of each product's type, and its subcategory's size range."""
    sub_index = _subcategory(kind)
    sizes = [SUBCATEGORIES[s][2] for s in CATEGORY_LEVEL_2]
    return {
        "category_level_1": np.array([SUBCATEGORIES[s][0] for s in CATEGORY_LEVEL_2])[sub_index],
        "category_level_2": np.array([t[1] for t in PRODUCT_TYPES])[kind],
        "category_level_3": np.array([t[0] for t in PRODUCT_TYPES])[kind],
        "size_range": np.array([f"{z[0]}-{z[-1]}" if z else "ONE SIZE" for z in sizes])[sub_index],
    }


def _material_columns(seed: int, keys: np.ndarray, material: np.ndarray) -> dict[str, np.ndarray]:
    """A composition and a colour the material is made in, and whether it is certified sustainable."""
    specs = list(MATERIALS.values())
    family_names, colour_names = list(COLOUR_NAMES), list(COLOUR_NAMES.values())
    composition = _pick(seed, "product.composition", [range(len(m[1])) for m in specs], material, keys)
    family = _pick(seed, "product.colour_family", [[family_names.index(f) for f in m[2]] for m in specs], material, keys)
    colour = _pick(seed, "product.colour_name", [range(len(c)) for c in colour_names], family, keys)
    widest = max(len(m[1]) for m in specs)
    compositions = np.array([list(m[1]) + [""] * (widest - len(m[1])) for m in specs])
    return {
        "color_family": np.array(family_names)[family],
        "color_name": np.array(colour_names)[family, colour],
        "material_primary": np.array(MATERIAL_NAMES)[material],
        "material_composition": compositions[material, composition],
        "sustainability_flag": np.array([m[3] for m in specs])[material],
    }


def _product_name(seed: int, keys: np.ndarray, brand: np.ndarray, material: np.ndarray, kind: np.ndarray) -> pa.Array:
    """Brand, a style word of the subcategory, the material's word and the type's noun: 'Urban Thread Relaxed Linen Shirt'."""
    styles = np.array([SUBCATEGORIES[s][3] for s in CATEGORY_LEVEL_2])
    style = styles[_subcategory(kind), hashing.integers(seed, "product.style", 0, styles.shape[1] - 1, keys)]
    return pc.binary_join_element_wise(
        pa.array(np.array([b[0] for b in BRANDS])[brand]), pa.array(style),
        pa.array(np.array([m[0] for m in MATERIALS.values()])[material]),
        pa.array(np.array([t[3] for t in PRODUCT_TYPES])[kind]),
        " ",
    )


def _sku(keys: np.ndarray, brand: np.ndarray, kind: np.ndarray) -> pa.Array:
    """Brand code, type code and the zero-padded key: 'URT-SHT-00000042'."""
    padded_key = pc.utf8_lpad(pa.array(keys).cast(pa.string()), width=PRODUCT_KEY_DIGITS, padding="0")
    sku_prefix = pc.binary_join_element_wise(
        pa.array(np.array([b[1] for b in BRANDS])[brand]),
        pa.array(np.array([t[2] for t in PRODUCT_TYPES])[kind]),
        "-",
    )
    return pc.binary_join_element_wise(sku_prefix, padded_key, "-")


def _price_columns(seed: int, keys: np.ndarray, kind: np.ndarray, brand: np.ndarray,
                   price_jitter: Uniform | Normal) -> dict[str, np.ndarray]:
    """The type's price at the brand's tier, jittered and charm-priced; cost at the tier's margin give or take."""
    tier = [PRICE_TIERS[b[2]] for b in BRANDS]
    multiplier = np.array([t[0] for t in tier])[brand]
    tier_margin = np.array([t[1] for t in tier])[brand]
    type_price = np.array([t[4] for t in PRODUCT_TYPES])[kind]
    price_noise = np.maximum(1 + price_jitter.draw(seed, "product.price", keys), MIN_PRICE_FACTOR)
    base_price = _retail_price(type_price * multiplier * price_noise)
    margin_noise = MARGIN_JITTER * (2 * hashing.uniform(seed, "product.margin", keys) - 1)
    unit_cost = np.round(base_price * (1 - tier_margin + margin_noise), 2)
    return {
        "base_price": base_price,
        "unit_cost": unit_cost,
        "margin_percent": np.round(100 * (base_price - unit_cost) / base_price, 2),
    }


def _life_cycle_columns(seed: int, keys: np.ndarray, reference_day: datetime.date, plan_days: int,
                        active_share: float, written_days: int) -> dict[str, np.ndarray | pa.Array]:
    """Launched within LAUNCH_WINDOW_DAYS before reference_day; (1 - active_share) end inside the plan.

    The end-of-life day is drawn over the plan, never over the written days, so it does not move with end_date.
    """
    reference = np.datetime64(reference_day, "D")
    launch_date = reference - hashing.integers(seed, "product.launch", 1, LAUNCH_WINDOW_DAYS, keys).astype("timedelta64[D]")
    discontinued_count = round((1 - active_share) * len(keys))
    discontinued = np.zeros(len(keys), dtype=bool)
    discontinued[np.argsort(hashing.hash64(seed, "product.discontinued", keys), kind="stable")[:discontinued_count]] = True
    end_offset = hashing.integers(seed, "product.end_of_life", 0, plan_days - 1, keys)
    return {
        "season_code": _season_code(launch_date),
        "launch_date": launch_date,
        "end_of_life_date": np.where(discontinued, reference + end_offset.astype("timedelta64[D]"), np.datetime64("NaT")),
        "is_active": ~(discontinued & (end_offset + 1 < written_days)),     # false from the day after end of life
    }

"""The store network a run draws from: the cities, the reference locations every run has, and their ids.

Declared here, below the model, because configuration checks a run's
location_count and its outage node against them before anything is built.
"""

from __future__ import annotations

# code, city, state, district, latitude, longitude, IANA time zone, ZIP code
CITIES = (
    ("NYC", "New York", "NY", "New York Metro", 40.7128, -74.0060, "America/New_York", "10001"),
    ("LAX", "Los Angeles", "CA", "Southern California", 34.0522, -118.2437, "America/Los_Angeles", "90012"),
    ("CHI", "Chicago", "IL", "Great Lakes", 41.8781, -87.6298, "America/Chicago", "60601"),
    ("MIA", "Miami", "FL", "Florida", 25.7617, -80.1918, "America/New_York", "33131"),
    ("DAL", "Dallas", "TX", "Texas & Oklahoma", 32.7767, -96.7970, "America/Chicago", "75201"),
    ("BOS", "Boston", "MA", "New England", 42.3601, -71.0589, "America/New_York", "02108"),
    ("SEA", "Seattle", "WA", "Pacific Northwest", 47.6062, -122.3321, "America/Los_Angeles", "98101"),
    ("ATL", "Atlanta", "GA", "South Atlantic", 33.7490, -84.3880, "America/New_York", "30303"),
    ("ORL", "Orlando", "FL", "Florida", 28.5383, -81.3792, "America/New_York", "32801"),
    ("LAS", "Las Vegas", "NV", "Desert Southwest", 36.1699, -115.1398, "America/Los_Angeles", "89101"),
    ("NWK", "Newark", "NJ", "New York Metro", 40.7357, -74.1724, "America/New_York", "07102"),
    ("ONT", "Ontario", "CA", "Southern California", 34.0633, -117.6509, "America/Los_Angeles", "91761"),
    ("CMH", "Columbus", "OH", "Ohio Valley", 39.9612, -82.9988, "America/New_York", "43215"),
    ("HOU", "Houston", "TX", "Texas & Oklahoma", 29.7604, -95.3698, "America/Chicago", "77002"),
    ("PHX", "Phoenix", "AZ", "Desert Southwest", 33.4484, -112.0740, "America/Phoenix", "85004"),
    ("PHL", "Philadelphia", "PA", "Mid-Atlantic", 39.9526, -75.1652, "America/New_York", "19107"),
    ("SAT", "San Antonio", "TX", "Texas & Oklahoma", 29.4241, -98.4936, "America/Chicago", "78205"),
    ("SAN", "San Diego", "CA", "Southern California", 32.7157, -117.1611, "America/Los_Angeles", "92101"),
    ("SJC", "San Jose", "CA", "Northern California", 37.3382, -121.8863, "America/Los_Angeles", "95113"),
    ("AUS", "Austin", "TX", "Texas & Oklahoma", 30.2672, -97.7431, "America/Chicago", "78701"),
    ("JAX", "Jacksonville", "FL", "Florida", 30.3322, -81.6557, "America/New_York", "32202"),
    ("SFO", "San Francisco", "CA", "Northern California", 37.7749, -122.4194, "America/Los_Angeles", "94103"),
    ("FTW", "Fort Worth", "TX", "Texas & Oklahoma", 32.7555, -97.3308, "America/Chicago", "76102"),
    ("CLT", "Charlotte", "NC", "South Atlantic", 35.2271, -80.8431, "America/New_York", "28202"),
    ("IND", "Indianapolis", "IN", "Great Lakes", 39.7684, -86.1581, "America/Indiana/Indianapolis", "46204"),
    ("DEN", "Denver", "CO", "Mountain", 39.7392, -104.9903, "America/Denver", "80202"),
    ("WAS", "Washington", "DC", "Mid-Atlantic", 38.9072, -77.0369, "America/New_York", "20001"),
    ("BNA", "Nashville", "TN", "Mid-South", 36.1627, -86.7816, "America/Chicago", "37203"),
    ("PDX", "Portland", "OR", "Pacific Northwest", 45.5152, -122.6784, "America/Los_Angeles", "97204"),
    ("DET", "Detroit", "MI", "Great Lakes", 42.3314, -83.0458, "America/Detroit", "48226"),
    ("MSP", "Minneapolis", "MN", "Plains", 44.9778, -93.2650, "America/Chicago", "55401"),
    ("BAL", "Baltimore", "MD", "Mid-Atlantic", 39.2904, -76.6122, "America/New_York", "21202"),
    ("MKE", "Milwaukee", "WI", "Great Lakes", 43.0389, -87.9065, "America/Chicago", "53202"),
    ("ABQ", "Albuquerque", "NM", "Desert Southwest", 35.0844, -106.6504, "America/Denver", "87102"),
    ("TUS", "Tucson", "AZ", "Desert Southwest", 32.2226, -110.9747, "America/Phoenix", "85701"),
    ("SAC", "Sacramento", "CA", "Northern California", 38.5816, -121.4944, "America/Los_Angeles", "95814"),
    ("MCI", "Kansas City", "MO", "Plains", 39.0997, -94.5786, "America/Chicago", "64106"),
    ("RAL", "Raleigh", "NC", "South Atlantic", 35.7796, -78.6382, "America/New_York", "27601"),
    ("OMA", "Omaha", "NE", "Plains", 41.2565, -95.9345, "America/Chicago", "68102"),
    ("OKC", "Oklahoma City", "OK", "Texas & Oklahoma", 35.4676, -97.5164, "America/Chicago", "73102"),
    ("LOU", "Louisville", "KY", "Mid-South", 38.2527, -85.7585, "America/Kentucky/Louisville", "40202"),
    ("MEM", "Memphis", "TN", "Mid-South", 35.1495, -90.0490, "America/Chicago", "38103"),
    ("SLC", "Salt Lake City", "UT", "Mountain", 40.7608, -111.8910, "America/Denver", "84101"),
    ("MSY", "New Orleans", "LA", "Mid-South", 29.9511, -90.0715, "America/Chicago", "70112"),
    ("TPA", "Tampa", "FL", "Florida", 27.9506, -82.4572, "America/New_York", "33602"),
    ("PIT", "Pittsburgh", "PA", "Mid-Atlantic", 40.4406, -79.9959, "America/New_York", "15222"),
    ("CIN", "Cincinnati", "OH", "Ohio Valley", 39.1031, -84.5120, "America/New_York", "45202"),
    ("CLE", "Cleveland", "OH", "Ohio Valley", 41.4993, -81.6944, "America/New_York", "44113"),
    ("STL", "St. Louis", "MO", "Plains", 38.6270, -90.1994, "America/Chicago", "63101"),
    ("RIC", "Richmond", "VA", "South Atlantic", 37.5407, -77.4360, "America/New_York", "23219"),
    ("PVD", "Providence", "RI", "New England", 41.8240, -71.4128, "America/New_York", "02903"),
    ("HFD", "Hartford", "CT", "New England", 41.7658, -72.6734, "America/New_York", "06103"),
    ("BOI", "Boise", "ID", "Pacific Northwest", 43.6150, -116.2023, "America/Boise", "83702"),
    ("BHM", "Birmingham", "AL", "Mid-South", 33.5186, -86.8104, "America/Chicago", "35203"),
    ("CHS", "Charleston", "SC", "South Atlantic", 32.7765, -79.9311, "America/New_York", "29401"),
)

# The reference network every run starts with: city code, location type, store format.
REFERENCE_LOCATIONS = (
    ("NYC", "store", "flagship"), ("LAX", "store", "flagship"),
    ("CHI", "store", "standard"), ("MIA", "store", "standard"), ("DAL", "store", "standard"),
    ("BOS", "store", "standard"), ("SEA", "store", "standard"), ("ATL", "store", "standard"),
    ("ORL", "store", "outlet"), ("LAS", "store", "outlet"),
    ("NWK", "warehouse", None), ("ONT", "warehouse", None),
    ("CMH", "dc", None),
)

MIN_LOCATIONS = len(REFERENCE_LOCATIONS)
MAX_LOCATIONS = len(CITIES)
LOCATION_ID_PREFIX = {"store": "STR", "warehouse": "WH", "dc": "DC"}


def location_id(city_code: str, kind: str) -> str:
    """location_id of the location of `kind` in the city: STR-NYC-001, WH-NWK-001."""
    return f"{LOCATION_ID_PREFIX[kind]}-{city_code}-001"


def fulfilment_node_ids() -> list[str]:
    """location_id of every warehouse and DC: all reference locations, whatever location_count adds (stores)."""
    return [location_id(code, kind) for code, kind, _ in REFERENCE_LOCATIONS if kind != "store"]

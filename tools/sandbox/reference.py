"""Reference data the demo-store generator draws from: US names, places, carriers, tax.

Places are real US cities with a valid ZIP, plus Alaska, Hawaii, Puerto Rico, PO boxes and
military (APO/FPO) addresses, because shipping questions about exactly those are common.
Emails use the reserved example.* domains and phone numbers the fictional 555-01xx range, so
no generated customer can collide with a real person.
"""

from __future__ import annotations

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy Matthew Betty Anthony Sandra "
    "Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol Kevin "
    "Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey "
    "Cynthia Ryan Dorothy Jacob Amy Gary Kathleen Nicholas Angela Eric Shirley Jonathan Brenda Stephen Emma "
    "Larry Anna Justin Pamela Scott Nicole Brandon Samantha Benjamin Katherine Samuel Christine Gregory Debra "
    "Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia Dennis Heather Jerry Helen Tyler "
    "Catherine Aaron Diane Jose Julie Adam Victoria Nathan Joyce Henry Lauren Zachary Kelly Douglas Christina "
    "Peter Ruth Kyle Joan Noah Virginia Ethan Judith Jeremy Evelyn Christian Hannah Walter Andrea Keith Megan "
    "Austin Cheryl Roger Jacqueline Terry Madison Sean Teresa Gerald Abigail Carl Sophia Dylan Martha Harold "
    "Sara Jordan Gloria Jesse Janice Bryan Kathryn Lawrence Ann Arthur Isabella Gabriel Judy Bruce Charlotte "
    "Logan Julia Billy Grace Joe Amber Alan Alice Juan Jean Elijah Denise Willie Frances Albert Danielle "
    "Wayne Marilyn Randy Natalie Mason Beverly Vincent Diana Liam Brittany Roy Theresa Bobby Kayla Caleb "
    "Alexis Bradley Doris Russell Lori Lucas Tiffany Mei Priya Wei Aisha Diego Sofia Carlos Lucia Hiroshi "
    "Yuki Arjun Fatima Omar Leila Minh Linh Jamal Keisha Mateo Camila"
).split()

LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz "
    "Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson "
    "Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray "
    "Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins "
    "Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Fisher Vasquez Simmons Romero Jordan "
    "Patterson Alexander Hamilton Graham Reynolds Griffin Wallace West Cole Hayes Bryant Herrera Gibson "
    "Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods "
    "Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson "
    "Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black "
    "Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols "
    "Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Hansen Peters "
    "Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Ray "
    "Berry Perkins Hoffman Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence Sandoval "
    "Yamamoto Okafor Haddad Novak Kowalski Lindqvist Oyelaran Nakamura"
).split()

STREET_NAMES = (
    "Maple Oak Cedar Pine Elm Washington Lake Hill Park Sunset Ridge Meadow Forest River Highland Spruce "
    "Willow Birch Aspen Juniper Sycamore Magnolia Laurel Cherry Walnut Chestnut Hickory Poplar Cypress "
    "Madison Lincoln Jefferson Franklin Adams Monroe Jackson Grant Harrison Cleveland Canyon Valley Mesa "
    "Prairie Bayview Harbor Lakeshore Mill Church School Railroad Center Main Front Water Market Union"
).split()
STREET_TYPES = ("St", "Ave", "Rd", "Dr", "Ln", "Ct", "Way", "Blvd", "Pl", "Ter", "Cir", "Trl")

# (city, state, ZIP, weight). Weights follow rough population so big metros dominate.
CITIES: tuple[tuple[str, str, str, int], ...] = (
    ("New York", "NY", "10025", 9), ("Brooklyn", "NY", "11215", 6), ("Los Angeles", "CA", "90027", 8),
    ("San Diego", "CA", "92104", 4), ("San Jose", "CA", "95125", 3), ("San Francisco", "CA", "94110", 3),
    ("Sacramento", "CA", "95818", 2), ("Fresno", "CA", "93704", 1), ("Chicago", "IL", "60614", 6),
    ("Naperville", "IL", "60540", 1), ("Houston", "TX", "77006", 6), ("Dallas", "TX", "75206", 4),
    ("Austin", "TX", "78704", 4), ("San Antonio", "TX", "78209", 3), ("El Paso", "TX", "79912", 1),
    ("Phoenix", "AZ", "85013", 4), ("Tucson", "AZ", "85716", 2), ("Philadelphia", "PA", "19147", 4),
    ("Pittsburgh", "PA", "15217", 2), ("Jacksonville", "FL", "32207", 2), ("Miami", "FL", "33133", 3),
    ("Orlando", "FL", "32803", 2), ("Tampa", "FL", "33606", 2), ("Columbus", "OH", "43215", 2),
    ("Cleveland", "OH", "44113", 1), ("Cincinnati", "OH", "45202", 1), ("Indianapolis", "IN", "46220", 2),
    ("Charlotte", "NC", "28203", 2), ("Raleigh", "NC", "27608", 2), ("Asheville", "NC", "28801", 1),
    ("Seattle", "WA", "98103", 3), ("Spokane", "WA", "99203", 1), ("Denver", "CO", "80206", 3),
    ("Boulder", "CO", "80302", 1), ("Washington", "DC", "20009", 2), ("Boston", "MA", "02116", 3),
    ("Worcester", "MA", "01609", 1), ("Nashville", "TN", "37206", 2), ("Memphis", "TN", "38104", 1),
    ("Detroit", "MI", "48207", 2), ("Ann Arbor", "MI", "48104", 1), ("Grand Rapids", "MI", "49503", 1),
    ("Portland", "OR", "97214", 3), ("Bend", "OR", "97702", 1), ("Eugene", "OR", "97401", 1),
    ("Las Vegas", "NV", "89117", 2), ("Reno", "NV", "89509", 1), ("Louisville", "KY", "40204", 1),
    ("Baltimore", "MD", "21224", 2), ("Milwaukee", "WI", "53211", 1), ("Madison", "WI", "53703", 1),
    ("Albuquerque", "NM", "87106", 1), ("Oklahoma City", "OK", "73118", 1), ("Kansas City", "MO", "64111", 1),
    ("St. Louis", "MO", "63110", 1), ("Atlanta", "GA", "30306", 3), ("Savannah", "GA", "31401", 1),
    ("Minneapolis", "MN", "55408", 2), ("Saint Paul", "MN", "55105", 1), ("New Orleans", "LA", "70115", 1),
    ("Salt Lake City", "UT", "84105", 2), ("Boise", "ID", "83702", 1), ("Omaha", "NE", "68132", 1),
    ("Richmond", "VA", "23220", 1), ("Virginia Beach", "VA", "23451", 1), ("Birmingham", "AL", "35209", 1),
    ("Charleston", "SC", "29401", 1), ("Burlington", "VT", "05401", 1), ("Portland", "ME", "04101", 1),
    ("Providence", "RI", "02906", 1), ("Hartford", "CT", "06105", 1), ("Newark", "NJ", "07102", 1),
    ("Jersey City", "NJ", "07302", 1), ("Des Moines", "IA", "50312", 1), ("Little Rock", "AR", "72205", 1),
    ("Jackson", "MS", "39202", 1), ("Fargo", "ND", "58103", 1), ("Sioux Falls", "SD", "57105", 1),
    ("Billings", "MT", "59102", 1), ("Cheyenne", "WY", "82001", 1), ("Wilmington", "DE", "19801", 1),
    ("Manchester", "NH", "03101", 1), ("Charleston", "WV", "25301", 1), ("Wichita", "KS", "67208", 1),
    ("Anchorage", "AK", "99503", 1), ("Fairbanks", "AK", "99701", 1), ("Honolulu", "HI", "96815", 1),
    ("Hilo", "HI", "96720", 1), ("San Juan", "PR", "00907", 1),
)

# Military addresses: (city, state, ZIP) where "state" is the armed-forces code.
MILITARY = (("APO", "AE", "09012"), ("FPO", "AP", "96349"), ("APO", "AA", "34020"))

# Approximate combined state + average local sales tax, collected by marketplace facilitators.
SALES_TAX = {
    "CA": 0.0882, "NY": 0.0852, "TX": 0.0820, "IL": 0.0886, "WA": 0.0938, "FL": 0.0702, "PA": 0.0634,
    "OH": 0.0724, "GA": 0.0738, "NC": 0.0699, "MA": 0.0625, "AZ": 0.0837, "TN": 0.0955, "CO": 0.0781,
    "NJ": 0.0660, "VA": 0.0577, "MI": 0.0600, "MN": 0.0749, "NV": 0.0823, "LA": 0.0955, "OR": 0.0,
    "MT": 0.0, "NH": 0.0, "DE": 0.0, "AK": 0.0182, "HI": 0.0450, "DC": 0.0600, "PR": 0.1150,
}
DEFAULT_SALES_TAX = 0.065

# Where Amazon (FBA) and Walmart (WFS) parcels leave from; the seller's own origin is in seller.toml.
ORIGINS = {
    "FBA": ("Tracy, CA", "Kent, WA", "Joliet, IL", "Robbinsville, NJ", "Haslet, TX"),
    "WFS": ("Chino, CA", "Lancaster, TX", "Bethlehem, PA"),
}
HUBS = {
    "USPS": ("Portland OR Distribution Center", "Denver CO Distribution Center", "Chicago IL Network Distribution Center",
             "Dallas TX Regional Facility", "Atlanta GA Network Distribution Center", "Jersey City NJ Network Distribution Center"),
    "UPS": ("Hermiston, OR", "Salt Lake City, UT", "Louisville, KY", "Hodgkins, IL", "Dallas, TX", "Parsippany, NJ"),
    "FedEx": ("Troutdale, OR", "Memphis, TN", "Indianapolis, IN", "Fort Worth, TX", "Allentown, PA", "Sacramento, CA"),
    "Amazon Logistics": ("Amazon Sort Center", "Amazon Delivery Station"),
}
UPS_SHIPPER = "V8W319"  # the seller's (invented) UPS account in every 1Z number

DELAY_REASONS = (
    "Weather delay: severe weather has delayed delivery",
    "Delay: package missed its scheduled transfer at the facility",
    "Exception: address information needed; carrier is attempting to correct",
    "Delay: high package volume in your area",
    "Exception: package damaged in transit, repackaged at facility",
)

FEEDBACK_COMMENTS = {
    5: ("Arrived fast and exactly as described.", "Great quality, would buy from this seller again.",
        "Perfect, well packed.", "Love it. Fast shipping."),
    4: ("Good product, shipping took a bit longer than expected.", "Works well, packaging could be better.",
        "Nice quality for the price."),
    3: ("It's okay. Smaller than I expected.", "Average. Took a while to arrive."),
    2: ("Arrived late and the box was crushed.", "Item was not as described."),
    1: ("Never received my package.", "Arrived damaged and nobody helped.", "Wrong item sent. Very disappointed."),
}

"""Calls the Blobs service of tests/tests/interop_zeep.rs with zeep from its published WSDL:
a byte[] parameter and result (xs:base64Binary).

usage: call_blobs.py WSDL_URL

Prints `REVERSED <hex>`.
"""

import sys

import requests
import zeep
from zeep.transports import Transport

session = requests.Session()
session.trust_env = False
client = zeep.Client(sys.argv[1], transport=Transport(session=session))
print("REVERSED", client.service.Reverse(bytes([1, 2, 3, 250])).hex(), flush=True)

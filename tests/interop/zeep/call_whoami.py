"""Calls the Whoami service of tests/tests/interop_zeep.rs with zeep, a WS-Security
UsernameToken (zeep.wsse.username) in the message, over HTTPS that trusts the test's CA.

usage: call_whoami.py WSDL_URL ADDRESS CA_PEM USER PASSWORD

Prints `RESULT <answer>` or `FAULT <reason>|<subcodes>`.
"""

import sys

import requests
import zeep
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

wsdl, address, ca, user, password = sys.argv[1:6]
session = requests.Session()
# REQUESTS_CA_BUNDLE (and proxy settings) in the environment would override the CA given here.
session.trust_env = False
session.verify = ca
client = zeep.Client(
    wsdl, transport=Transport(session=session), wsse=UsernameToken(user, password)
)
# The binding is in the service's namespace (tempuri.org), as WCF publishes it.
service = client.create_service("{http://tempuri.org/}BasicHttpBinding_Whoami", address)
try:
    print("RESULT", service.Whoami(), flush=True)
except zeep.exceptions.Fault as fault:
    subcodes = fault.subcodes or []
    names = [getattr(s, "localname", str(s)) for s in subcodes] if isinstance(subcodes, list) else [str(subcodes)]
    print("FAULT", f"{fault.message}|{fault.code}|{','.join(names)}", flush=True)

"""Calls the Orders service of tests/tests/interop_zeep.rs with zeep, from nothing but the
WSDL the Indigo host publishes at WSDL_URL, through the port named PORT
(BasicHttpBinding_Orders: SOAP 1.1; WSHttpBinding_Orders: SOAP 1.2 with WS-Addressing).

usage: call_orders.py WSDL_URL PORT

Prints one line per call:
  REPRICE <product> <quantity> <note> <colour> <tags>
  RESERVE <quantity>
  FAULT <operation> <detail element> <child>=<text>
"""

import sys

import requests
import zeep
from zeep.transports import Transport

wsdl_url, port = sys.argv[1:3]
session = requests.Session()
session.trust_env = False
client = zeep.Client(wsdl_url, transport=Transport(session=session))
service = client.bind("OrderService", port)
shop = client.type_factory("http://example.org/shop")
arrays = client.type_factory("http://schemas.microsoft.com/2003/10/Serialization/Arrays")


def line(product, quantity):
    return shop.OrderLine(
        ProductId=product,
        Qty=quantity,
        Note="from zeep",
        Colour="GRN",
        Tags=arrays.ArrayOfstring(string=["a", "b"]),
        Discount=0.5,
    )


repriced = service.Reprice(line(7, 2))
print(
    "REPRICE",
    repriced.ProductId,
    repriced.Qty,
    repriced.Note,
    repriced.Colour,
    ",".join(repriced.Tags.string),
    flush=True,
)
print("RESERVE", service.Reserve(line(7, 3)), flush=True)
for operation, arguments in [("Reserve", line(7, 11)), ("Cancel", line(0, 1))]:
    try:
        getattr(service, operation)(arguments)
        print("NOFAULT", operation, flush=True)
    except zeep.exceptions.Fault as fault:
        detail = fault.detail[0] if fault.detail is not None and len(fault.detail) else None
        if detail is None:
            print("FAULT", operation, "no-detail", fault.message, flush=True)
            continue
        child = detail[0]
        name = child.tag.split("}")[-1]
        print("FAULT", operation, detail.tag, f"{name}={child.text}", flush=True)

/*
 * wsa5.h declares SOAP_ENV__Fault as a one-way service operation (so a callback endpoint can
 * receive faults relayed to its FaultTo), and the generated dispatcher references it: the link
 * fails without a definition. Our peers never use a FaultTo endpoint, so a fault that arrives
 * as a request is accepted with HTTP 202 and otherwise ignored.
 */
#include "soapH.h"

int SOAP_ENV__Fault(struct soap *soap, char *faultcode, char *faultstring, char *faultactor,
                    struct SOAP_ENV__Detail *detail, struct SOAP_ENV__Code *code,
                    struct SOAP_ENV__Reason *reason, char *node, char *role,
                    struct SOAP_ENV__Detail *detail12)
{
    (void)faultcode; (void)faultstring; (void)faultactor; (void)detail;
    (void)code; (void)reason; (void)node; (void)role; (void)detail12;
    return soap_send_empty_response(soap, 202);
}

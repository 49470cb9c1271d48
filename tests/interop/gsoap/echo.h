/*
 * soapcpp2 input for the IEcho contract exactly as Indigo's tests declare it
 * (tests/src/echo.rs): document/literal wrapped, elementFormDefault qualified, so
 *   <Echo xmlns="http://example.org/echo/"><text>hi</text></Echo>
 *   <EchoResponse xmlns="http://example.org/echo/"><EchoResult>hi</EchoResult></EchoResponse>
 * SOAP 1.2, WS-Addressing 2005/08 and WS-ReliableMessaging headers on both messages.
 *
 * wsrm-version.h is written by build.sh: it imports wsrm.h (WS-RM 1.1) or wsrm5.h (WS-RM 1.0),
 * so this one contract serves both versions.
 */

#import "soap12.h"
#import "wsrm-version.h"

//gsoap ns service name:      echo
//gsoap ns service namespace: http://example.org/echo/
//gsoap ns schema namespace:  http://example.org/echo/
//gsoap ns schema elementForm: qualified
//gsoap ns service style:     document
//gsoap ns service encoding:  literal

//gsoap ns service method-header-part: Echo wsa5__MessageID
//gsoap ns service method-header-part: Echo wsa5__RelatesTo
//gsoap ns service method-header-part: Echo wsa5__From
//gsoap ns service method-header-part: Echo wsa5__ReplyTo
//gsoap ns service method-header-part: Echo wsa5__FaultTo
//gsoap ns service method-header-part: Echo wsa5__To
//gsoap ns service method-header-part: Echo wsa5__Action
//gsoap ns service method-header-part: Echo wsrm__Sequence
//gsoap ns service method-header-part: Echo wsrm__AckRequested
//gsoap ns service method-header-part: Echo wsrm__SequenceAcknowledgement
//gsoap ns service method-action:        Echo http://example.org/echo/IEcho/Echo
//gsoap ns service method-output-action: Echo http://example.org/echo/IEcho/EchoResponse

/* The reply wrapper: <EchoResponse><EchoResult>...</EchoResult></EchoResponse>. */
struct ns__EchoResponse { char *EchoResult; };

int ns__Echo(char *text, struct ns__EchoResponse *response);

/*
 * gSOAP WS-ReliableMessaging echo server (WS-RM 1.0 or 1.1, chosen by build.sh).
 *
 *   server PORT [SECONDS]
 *
 * Listens on 127.0.0.1:PORT (loopback only) at any path, serves IEcho.Echo and the WS-RM
 * protocol operations one request at a time, and exits after SECONDS (default: never) or when
 * killed. Prints, flushed:
 *   READY <port>                              once listening
 *   SERVED <status> <action> [<text>]         after each request (<text> for Echo only;
 *                                             <status> is gSOAP's error code, 0 = OK)
 *   ERROR <message>                           on a fatal error (exit code 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soapH.h"
#include "echo.nsmap"
#include "wsaapi.h"
#include "wsrmapi.h"

#define ECHO_RESPONSE_ACTION "http://example.org/echo/IEcho/EchoResponse"

/* The text of the Echo being served, for the SERVED line (points into the soap arena). */
static const char *served_text;

int ns__Echo(struct soap *soap, char *text, struct ns__EchoResponse *response)
{
    /* Checks the WS-A/WS-RM headers, rejects duplicates (SOAP_STOP after a 202) and
     * prepares the reply's Sequence header on the offered sequence. */
    if (soap_wsrm_check(soap))
        return soap->error;
    served_text = text;
    response->EchoResult = text ? text : "";
    return soap_wsrm_reply(soap, NULL, ECHO_RESPONSE_ACTION);
}

static void print_served(const char *action, int status)
{
    if (served_text)
        printf("SERVED %d %s %s\n", status, action, served_text);
    else
        printf("SERVED %d %s\n", status, action);
    fflush(stdout);
}

/* soap_serve() for one request (our HTTP is never keep-alive: gSOAP answers Connection: close),
 * keeping the request's action, which the reply overwrites, for the SERVED line. */
static int serve_one(struct soap *soap, char *action, size_t size)
{
    snprintf(action, size, "-");
    if (soap_begin_serve(soap))
        return soap->error;
    if (soap->action)
        snprintf(action, size, "%s", soap->action);
    if (soap_serve_request(soap) && soap->error && soap->error < SOAP_STOP)
        return soap_send_fault(soap);
    return soap->error;
}

static int fail(struct soap *soap, const char *what)
{
    char buf[1024];
    soap_sprint_fault(soap, buf, sizeof buf);
    printf("ERROR %s: %s\n", what, buf);
    fflush(stdout);
    return 1;
}

int main(int argc, char **argv)
{
    struct soap *soap;
    int port, seconds;
    time_t deadline;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PORT [SECONDS]\n", argv[0]);
        return 2;
    }
    port = atoi(argv[1]);
    seconds = argc == 3 ? atoi(argv[2]) : 0;
    deadline = seconds > 0 ? time(NULL) + seconds : 0;

    soap = soap_new1(SOAP_XML_INDENT);
    soap_register_plugin(soap, soap_wsa);
    soap_register_plugin(soap, soap_wsrm);
    soap->bind_flags = SO_REUSEADDR;
    /* Wake up every 200 ms to check the deadline; never let one peer block the loop. */
    soap->accept_timeout = -200000;
    soap->recv_timeout = soap->send_timeout = 10;

    if (!soap_valid_socket(soap_bind(soap, "127.0.0.1", port, 100)))
        return fail(soap, "bind");
    printf("READY %d\n", port);
    fflush(stdout);

    while (!deadline || time(NULL) < deadline) {
        char action[512];
        int status;
        if (!soap_valid_socket(soap_accept(soap))) {
            if (soap->errnum)
                return fail(soap, "accept");
            continue; /* timed out: check the deadline */
        }
        served_text = NULL;
        status = serve_one(soap, action, sizeof action);
        print_served(action, status);
        soap_destroy(soap);
        soap_end(soap);
    }
    soap_wsrm_cleanup(soap);
    soap_free(soap);
    return 0;
}

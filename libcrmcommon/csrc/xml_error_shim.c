/*
 * libxml2 and libxslt report some diagnostics (xsl:message, XSLT runtime errors) through
 * printf-style callbacks, which stable Rust cannot implement. This shim formats such a
 * message and hands the resulting string to a plain (non-variadic) Rust callback.
 */
#include <stdarg.h>
#include <stdio.h>

struct pcmkrs_message_sink {
    void (*deliver)(void *target, const char *message);
    void *target;
};

void
pcmkrs_format_message(void *sink_ptr, const char *format, ...)
{
    struct pcmkrs_message_sink *sink = sink_ptr;
    char text[2048];
    va_list args;

    if ((sink == NULL) || (sink->deliver == NULL) || (format == NULL)) {
        return;
    }
    va_start(args, format);
    vsnprintf(text, sizeof(text), format, args);
    va_end(args);
    sink->deliver(sink->target, text);
}

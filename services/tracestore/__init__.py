"""The project's trace store: OTLP/HTTP in, gateway spans over syslog, Jaeger's query API out.

No Jaeger, Tempo or Collector image can be had here, so this small server stands in for
Jaeger all-in-one (see docs/tracestore.md). One asyncio process serves:

    :4318  POST /v1/traces (OTLP/HTTP, protobuf or JSON, gzip)  -> otlp_receiver
    :5514  UDP syslog frames of the NGINX gateway's access log   -> syslog_spans
                        \\                 /
                         store.TraceStore (bounded, whole oldest traces evicted)
                                  |
    :16686 Jaeger's query API (/api/..., /api/v3/...), health, metrics -> query_api
"""

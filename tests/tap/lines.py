"""Sample access-log lines in every format (taken from the references' real samples, plus edge cases)."""

LINKERD_JSON = (
    '{"client.addr":"10.42.0.70:32996","client.id":"traffic.booksapp.serviceaccount.identity.linkerd.cluster.local",'
    '"host":"webapp:7000","method":"GET","processing_ns":"39826","request_bytes":"","response_bytes":"19627",'
    '"status":200,"timestamp":"2022-08-23T20:33:42.321746212Z","total_ns":"14441135","trace_id":"",'
    '"uri":"http://webapp:7000/","user_agent":"Go-http-client/1.1","version":"HTTP/2.0"}'
)
LINKERD_JSON_503 = (
    '{"client.addr":"10.42.0.71:40000","client.id":"-","host":"books:7002","method":"POST","processing_ns":"100",'
    '"request_bytes":"42","response_bytes":"0","status":503,"timestamp":"2022-08-23T20:33:43.000000001Z",'
    '"total_ns":"2500000","trace_id":"abc123","uri":"/books?id=1","user_agent":"curl/8","version":"HTTP/1.1"}'
)
LINKERD_APACHE = (
    "10.42.0.63:51160 traffic.booksapp.serviceaccount.identity.linkerd.cluster.local - "
    '[2022-08-23T20:28:20.071809491Z] "GET http://webapp:7000/ HTTP/2.0" 200'
)
LINKERD_APACHE_PLAIN = '10.42.0.1:43682 - - [2022-08-23T20:28:23.049685223Z] "GET /ping HTTP/1.1" 200'
LINKERD_DEBUG = (
    "[    33.804143s]  INFO ThreadId(01) linkerd_app_core::errors::respond: HTTP/2.0 request failed "
    "error=client 10.244.0.9:35612: server: 10.244.0.8:4143: no route found for request"
)
ENVOY_TEXT_OUT = (
    '[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 "-" "curl/7.73.0-DEV" '
    '"84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "10.44.1.27:80" outbound|8000||httpbin.foo.svc.cluster.local '
    "10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default"
)
ENVOY_TEXT_IN = (
    '[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 3 1 "-" "curl/7.73.0-DEV" '
    '"84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "127.0.0.1:80" inbound|8000|| 127.0.0.1:41854 '
    "10.44.1.27:80 10.44.1.23:37652 outbound_.8000_._.httpbin.foo.svc.cluster.local default"
)
ENVOY_TEXT_UH = (
    '[2020-11-25T21:26:19.000Z] "GET /api HTTP/1.1" 503 UH,URX no_healthy_upstream - "-" 0 19 0 - "-" "curl/8" '
    '"rid-2" "web:8080" "-" outbound|8080||web.shop.svc.cluster.local - 10.0.0.9:8080 10.44.1.23:46521 - default'
)
ENVOY_TEXT_TCP = (
    '[2020-11-25T21:26:20.000Z] "- - -" 0 - - - "-" 100 200 30 - "-" "-" "-" "-" "10.44.1.30:3306" '
    "outbound|3306||db.shop.svc.cluster.local 10.44.1.23:1 10.0.0.5:3306 10.44.1.23:2 - -"
)
ENVOY_PLAIN = '[2020-11-25T21:26:18.409Z] "GET /x HTTP/1.1" 200 - 0 12 7 6 "-" "curl/8" "rid-3" "svc:80" "10.1.1.1:80"'
ENVOY_JSON_OUT = (
    '{"authority":"httpbin:8000","bytes_received":0,"bytes_sent":135,"connection_termination_details":null,'
    '"downstream_local_address":"10.0.45.184:8000","downstream_remote_address":"10.44.1.23:46520","duration":4,'
    '"method":"GET","path":"/status/418","protocol":"HTTP/1.1","request_id":"84961386-6d84-929d-98bd-c5aee93b5c88",'
    '"requested_server_name":null,"response_code":418,"response_code_details":"via_upstream","response_flags":"-",'
    '"route_name":"default","start_time":"2020-11-25T21:26:18.409Z",'
    '"upstream_cluster":"outbound|8000||httpbin.foo.svc.cluster.local","upstream_host":"10.44.1.27:80",'
    '"upstream_local_address":"10.44.1.23:37652","upstream_service_time":"4","upstream_transport_failure_reason":null,'
    '"user_agent":"curl/7.73.0-DEV","x_forwarded_for":null}'
)
ENVOY_JSON_IN_RESET = (
    '{"start_time":"2020-11-25T21:26:21.000Z","method":"POST","path":"/grpc.Svc/Call","protocol":"HTTP/2",'
    '"response_code":0,"response_flags":"UR","duration":12,"bytes_received":5,"bytes_sent":0,'
    '"upstream_cluster":"inbound|9090||","downstream_local_address":"10.44.1.27:9090",'
    '"downstream_remote_address":"10.44.1.23:5000","requested_server_name":"outbound_.9090_._.grpc.foo.svc.cluster.local",'
    '"authority":"grpc:9090","request_id":"rid-4","upstream_host":"10.44.1.27:9090",'
    '"authorization":"Bearer s3cr3t-token","cookie":"session=s3cr3t-cookie","x_custom":"kept"}'
)
ENVOY_LOG = "2026-11-21T19:00:00.000000Z\tinfo\txds\tADS: new connection for node:sidecar~10.44.1.27"

MALFORMED = [
    "",
    "   ",
    "{",
    '{"client.addr":"1.2.3.4:5"',  # truncated JSON
    '{"client.addr":"1.2.3.4:5","method":7,"timestamp":"x"}',  # wrong types
    "[]",
    '["a"]',
    "null",
    '{"start_time":"2020-11-25T21:26:18.409Z","method":null,"response_code":200}',  # TCP line in JSON
    '{"start_time":"2020-11-25T21:26:18.409Z","method":"GET","response_code":"abc"}',
    '[2020-11-25T21:26:18.409Z] "GET /x HTTP/1.1" abc - via_upstream',
    '[2020-11-25T21:26:18.409Z] "GET /x HTTP/1.1" 200',
    '10.1.1.1:5 - - [2022-08-23T20:28:23Z] "GET /ping" 200',
    '10.1.1.1:5 - - [2022-08-23T20:28:23Z "GET /ping HTTP/1.1" 200',
    "\x00\xff garbage \ufffd",
]

vcl 4.1;
# A shared cache in front of UrbanMonitor's tiles (Varnish 6/7). See README "A cache in front".

backend urbanmonitor { .host = "127.0.0.1"; .port = "5080"; }

sub vcl_recv {
    if (req.url ~ "^/tiles/") {
        # Tiles are public and carry no personal data: cache them whoever asks.
        unset req.http.Authorization;
        unset req.http.Cookie;
        return (hash);             # the hash is URL + Host, so each ?v= is its own object
    }
    return (pass);                 # the API, feeds and everything signed-in: never cached here
}

sub vcl_backend_response {
    if (bereq.url ~ "^/tiles/") {
        # TTLs come from Cache-Control (a year for the current ?v=, 60 s otherwise); keep objects past their TTL so a
        # 60 s tile is revalidated with If-None-Match (ETag = hash of the bytes) and a 304 refreshes it.
        set beresp.keep = 1d;
        set beresp.grace = 1h;     # serve a stale tile while the service is briefly unreachable
    }
}

"""Single-flight at the api edge, over real HTTP: 1000 concurrent requests
carrying one fresh personal token make exactly one VerifyToken RPC (read from
the api's own /metrics)."""
import asyncio

import stack

CONCURRENT = 1000


async def burst(port, token, count):
    """Opens `count` connections first, then sends every request at once;
    returns the status codes."""
    connections = await asyncio.gather(*[asyncio.open_connection("127.0.0.1", port) for _ in range(count)])
    request = (f"GET /v1/users/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
               "Connection: close\r\n\r\n").encode()
    for _, writer in connections:
        writer.write(request)

    async def status(reader, writer):
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 30)
        writer.close()
        return int(line.split()[1]) if line else 0

    return await asyncio.gather(*[status(r, w) for r, w in connections])


def test_concurrent_requests_with_a_fresh_token_make_one_verify_rpc(api, access_token):
    token = stack.create_token(api.url, access_token)["content"]
    rpcs = stack.metric(api.url, "tokengate_verify_rpcs_total")
    hits = stack.metric(api.url, "tokengate_verify_cache_hits_total")
    misses = stack.metric(api.url, "tokengate_verify_cache_misses_total")

    statuses = asyncio.run(burst(api.port, token, CONCURRENT))

    assert statuses == [200] * CONCURRENT
    assert stack.metric(api.url, "tokengate_verify_rpcs_total") == rpcs + 1
    answered = (stack.metric(api.url, "tokengate_verify_cache_hits_total") - hits) + \
               (stack.metric(api.url, "tokengate_verify_cache_misses_total") - misses)
    assert answered == CONCURRENT

"""Issue 14, item 1: a spectator never receives the controller's token or watch key.

The scenario of the issue, over a real uvicorn: a controller connects, a spectator joins with
the watch link, the controller's socket drops and it resumes with `?session=&token=`, then a
second tab takes over. Release 1 copied the new controllers' `hello` (token and watch key
included) to the spectator twice.
"""

from __future__ import annotations

import time

from websockets.exceptions import ConnectionClosed

from tests.conftest import LiveServer
from tests.server.helpers import Peer
from tests.server.live import ws_peer


def drain(peer: Peer, quiet_s: float = 0.5) -> None:
    """Read whatever the server sends until it has been quiet for `quiet_s`."""
    ws = peer.ws  # type: ignore[attr-defined]
    while True:
        try:
            peer.raw.append(ws.recv(timeout=quiet_s))
        except (TimeoutError, ConnectionClosed):
            return


def test_a_spectator_never_receives_the_token_or_the_watch_key(live_server: LiveServer) -> None:
    with ws_peer(live_server.ws_url) as controller:
        hello = controller.welcome()["hello"]
        secrets = (hello["token"], hello["watch_key"])
        watch = f"{live_server.ws_url}?watch={hello['session']}&key={hello['watch_key']}"
        resume = f"{live_server.ws_url}?session={hello['session']}&token={hello['token']}"
        with ws_peer(watch) as spectator:
            assert spectator.welcome()["hello"]["role"] == "watch"
            controller.ws.socket.close()  # type: ignore[attr-defined]  # dropped, no close frame
            time.sleep(0.2)
            with ws_peer(resume) as resumed:
                assert resumed.welcome()["hello"]["resumed"] is True
                resumed.request({"type": "step"}, "iteration")
                with ws_peer(resume) as second_tab:  # takes over
                    assert second_tab.welcome()["hello"]["resumed"] is True
                    second_tab.request({"type": "step"}, "iteration")
                    drain(spectator)
    leaked = [text for text in spectator.raw if any(s in text for s in secrets)]
    assert not leaked, f"the spectator received {len(leaked)} messages with a secret"
    # It still follows the session: both steps reached it.
    assert sum('"type":"iteration"' in text for text in spectator.raw) == 2

"""The "simulator" channel: an in-process SMSC simulator plus an SMPP channel bound to it.

It exercises the real SMPP path (sockets, PDUs, windowing, receipts) without a second process, so a dev or
demo install can send "SMS" out of the box. `inject_mo` lets tests and the demo fake a handset reply.
"""
from __future__ import annotations

from app.adapters.sms_channels.simulator import SmscSimulator, start_simulator
from app.adapters.sms_channels.smpp_client import SmppChannel

_SIM_KEYS = ("latency_ms", "fail_rate", "receipt_delay_ms", "receipt_fail_rate", "log_path")


class SimulatorChannel(SmppChannel):
    kind = "simulator"

    def __init__(self, name: str, config: dict) -> None:
        self.sim_config = {k: config[k] for k in _SIM_KEYS if k in config}
        self.sim_port = int(config.get("port", 0))
        smpp = {k: v for k, v in config.items() if k not in _SIM_KEYS}
        smpp.update(host="127.0.0.1", system_id="tc", password="secret")
        super().__init__(name, smpp)
        self.simulator: SmscSimulator | None = None

    async def start(self) -> None:
        if self.simulator is None:
            self.simulator = await start_simulator("127.0.0.1", self.sim_port, users={"tc": "secret"},
                                                   **self.sim_config)
            self.port = self.simulator.port
        await super().start()

    async def stop(self) -> None:
        await super().stop()
        if self.simulator is not None:
            await self.simulator.stop()
            self.simulator = None

    async def inject_mo(self, sender: str, to: str, text: str) -> int:
        assert self.simulator is not None, "start() first"
        return await self.simulator.inject_mo(sender, to, text, "tc")

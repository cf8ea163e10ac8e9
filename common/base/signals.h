// SIGTERM/SIGINT handling for every binary: block them before any thread
// starts (threads inherit the mask), then one thread waits for them.
#pragma once

namespace tokengate {

void BlockTerminationSignals();
// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForTerminationSignal();

}  // namespace tokengate

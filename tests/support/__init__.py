# tests/support: helpers shared by the test suite (e.g. a real HTTP git server for hook tests).

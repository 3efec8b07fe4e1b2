package conn

// UACHint exposes uacHint to the external tests.
var UACHint = uacHint

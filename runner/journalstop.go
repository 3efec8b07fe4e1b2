package runner

import (
	"errors"
	"fmt"
)

// ErrJournal is returned by Run when the journal could not be written:
// the journal is part of the run (it is what --resume and an admin after a
// crash rely on), so the run stopped before its next task.
var ErrJournal = errors.New("the journal could not be written")

// failingSink is a sink whose writes can fail, such as the Journal.
type failingSink interface{ Err() error }

// unrecorded returns why the run's events can no longer be recorded, or
// nil; it remembers the first reason for Run to return.
func (e *engine) unrecorded() error {
	if e.recordErr != nil {
		return e.recordErr
	}
	if f, ok := e.opts.Events.(failingSink); ok {
		e.recordErr = f.Err()
	}
	return e.recordErr
}

// stopUnrecorded aborts before what would run next when the journal
// failed: a change it cannot record is a change made blind.
func (e *engine) stopUnrecorded(next string) error {
	err := e.unrecorded()
	if err == nil {
		return nil
	}
	return errAbort{fmt.Sprintf("%v; stopping before %s", err, next)}
}

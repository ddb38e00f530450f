package ftp

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// maxPipedSizes bounds the SIZE commands Sizes sends in one write, and so
// the replies due at once.
const maxPipedSizes = 64

// Sizes returns the sizes of several files, as Size does for one, asking
// for them all at once: the SIZE commands are pipelined (up to 64 in one
// write) and their replies read in order, so that a list of files costs
// about one round trip rather than one each. errs[i] is the error for
// paths[i] (a *ReplyError; 550 matches fs.ErrNotExist), sizes[i] its size
// when errs[i] is nil. err is a failure of the connection (the Conn is
// then closed): a server that stays silent after pipelined commands is
// remembered, and later calls send one command at a time.
func (c *Conn) Sizes(ctx context.Context, paths []string) (sizes []int64, errs []error, err error) {
	if err := c.begin(); err != nil {
		return nil, nil, err
	}
	defer c.end()
	sizes, errs = make([]int64, len(paths)), make([]error, len(paths))
	// TYPE I goes with the first SIZE commands when they are pipelined.
	typeAhead := c.curType != "I" && !c.noPipeline && len(paths) > 1
	if !typeAhead {
		if err := c.setType(ctx, "I"); err != nil {
			return nil, nil, err
		}
	}
	one := func(i int) error {
		if typeAhead {
			if err := c.setType(ctx, "I"); err != nil {
				return err
			}
			typeAhead = false
		}
		sizes[i], errs[i] = c.sizeLocked(ctx, paths[i])
		if errs[i] != nil && c.closed.Load() {
			return errs[i]
		}
		return nil
	}
	stop := c.watch(ctx, c.nc)
	defer stop()
	for start := 0; start < len(paths); start += maxPipedSizes {
		end := min(start+maxPipedSizes, len(paths))
		if c.noPipeline || end-start == 1 {
			for i := start; i < end; i++ {
				if err := one(i); err != nil {
					return nil, nil, err
				}
			}
			continue
		}
		cmds := make([]pipedCmd, 0, end-start+1)
		typed := typeAhead
		if typed {
			cmds = append(cmds, pipedCmd{"TYPE", "I"})
		}
		for _, p := range paths[start:end] {
			cmds = append(cmds, pipedCmd{"SIZE", p})
		}
		displays, err := c.writeCmds(ctx, cmds...)
		if err == nil && typed {
			typeAhead = false
			if err := c.typeReply(ctx, cmds[0], displays[0]); err != nil {
				return nil, nil, err
			}
			displays = displays[1:]
		}
		if err != nil {
			if c.closed.Load() {
				return nil, nil, err
			}
			// A name that cannot be sent (CR, LF, NUL): nothing was
			// written; one at a time, each with its own error.
			for i := start; i < end; i++ {
				if err := one(i); err != nil {
					return nil, nil, err
				}
			}
			continue
		}
		for j, d := range displays {
			i := start + j
			rep, err := c.pipedReply(ctx, d)
			if err != nil {
				c.Close()
				return nil, nil, err
			}
			if rep.Code/100 == 1 {
				// No preliminary reply belongs to SIZE: out of step.
				c.Close()
				return nil, nil, &ProtocolError{Cmd: d, Msg: fmt.Sprintf("unexpected %d reply to SIZE", rep.Code)}
			}
			if rep.Code != CodeFileStatus {
				re := c.unexpected(d, rep)
				re.pathCmd = true
				errs[i] = re
				continue
			}
			n, perr := strconv.ParseInt(strings.TrimSpace(rep.Msg), 10, 64)
			if perr != nil || n < 0 {
				errs[i] = &ProtocolError{Cmd: d, Msg: fmt.Sprintf("size is not a non-negative number: %q", rep.Msg)}
				continue
			}
			sizes[i] = n
		}
	}
	return sizes, errs, nil
}

package ftp

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/goftplib/ftp/internal/proto"
)

// maxPipedSizes bounds the SIZE commands Sizes sends in one write. The
// next write goes out before the replies to the one before are read, so
// that at most two writes' replies are due at once.
const maxPipedSizes = 64

// Sizes returns the sizes of several files, as Size does for one, asking
// for them all at once: the SIZE commands are pipelined (TYPE I with
// them when needed; up to 64 in one write, the next write sent before the
// replies to the one before are read) and their replies read in order, so
// that a list of files costs about one round trip rather than one each.
// errs[i] is the error for paths[i] (a *ReplyError; 550 matches
// fs.ErrNotExist; a name that cannot be sent, matching fs.ErrInvalid, is
// not sent), sizes[i] its size when errs[i] is nil. err is a failure of
// the connection (the Conn is then closed): a server that stays silent
// after pipelined commands is remembered, and later calls send one
// command at a time.
func (c *Conn) Sizes(ctx context.Context, paths []string) (sizes []int64, errs []error, err error) {
	if err := c.begin(); err != nil {
		return nil, nil, err
	}
	defer c.end()
	sizes, errs = make([]int64, len(paths)), make([]error, len(paths))
	var todo []int // the names that can be sent
	for i, p := range paths {
		if errs[i] = c.argError("SIZE", p); errs[i] == nil {
			todo = append(todo, i)
		}
	}
	if c.noPipeline || len(todo) <= 1 {
		if len(todo) == 0 {
			return sizes, errs, nil
		}
		if err := c.setType(ctx, "I"); err != nil {
			return nil, nil, err
		}
		for _, i := range todo {
			sizes[i], errs[i] = c.sizeLocked(ctx, paths[i])
			if errs[i] != nil && c.closed.Load() {
				return nil, nil, errs[i]
			}
		}
		return sizes, errs, nil
	}
	stop := c.watch(ctx, c.nc)
	defer stop()
	var chunks [][]int
	for start := 0; start < len(todo); start += maxPipedSizes {
		chunks = append(chunks, todo[start:min(start+maxPipedSizes, len(todo))])
	}
	send := func(chunk []int, typed bool) ([]string, error) {
		cmds := make([]pipedCmd, 0, len(chunk)+1)
		if typed {
			cmds = append(cmds, pipedCmd{"TYPE", "I"})
		}
		for _, i := range chunk {
			cmds = append(cmds, pipedCmd{"SIZE", paths[i]})
		}
		displays, err := c.writeCmds(ctx, cmds...)
		if err != nil {
			c.Close() // checked beforehand: a failed write
			return nil, err
		}
		return displays, nil
	}
	typed := c.curType != "I"
	pending, err := send(chunks[0], typed)
	if err != nil {
		return nil, nil, err
	}
	for k, chunk := range chunks {
		var next []string
		if k+1 < len(chunks) {
			if next, err = send(chunks[k+1], false); err != nil {
				return nil, nil, err
			}
		}
		if typed {
			typed = false
			if err := c.typeReply(ctx, pipedCmd{"TYPE", "I"}, pending[0]); err != nil {
				return nil, nil, err
			}
			pending = pending[1:]
		}
		for j, d := range pending {
			i := chunk[j]
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
		pending = next
	}
	return sizes, errs, nil
}

// argError is the error of a command (named cmd in the error) whose
// argument cannot be sent (not in the Dialer's Encoding; CR, LF or NUL),
// nil when it can.
func (c *Conn) argError(cmd, arg string) error {
	if _, err := c.encode(arg); err != nil {
		return &opError{cmd: cmd, err: err}
	}
	if err := proto.CheckArg(arg); err != nil {
		return &opError{cmd: cmd, err: fmt.Errorf("%w: %w", fs.ErrInvalid, err)}
	}
	return nil
}

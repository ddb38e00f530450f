package main

func (a *app) cat(args []string) error {
	fs := a.subFlags("cat")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("cat needs one URL")
	}
	u, err := a.parseURL(pos[0])
	if err != nil {
		return err
	}
	if u.Base() == "" {
		return usagef("%s names a directory: use ls", u.Redacted())
	}
	c, err := a.connect(u)
	if err != nil {
		return err
	}
	defer a.quit(c)
	// Straight to stdout: a file or pipe there gets the bytes through
	// the kernel (splice) on plain FTP.
	_, err = c.RetrBinary(a.ctx, u.Path(), a.stdout, 0)
	return err
}

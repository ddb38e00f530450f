module github.com/goftplib/ftp

go 1.26

require (
	github.com/fclairamb/ftpserverlib v0.25.0
	github.com/fclairamb/go-log v0.5.0
	github.com/spf13/afero v1.15.0
	go.uber.org/goleak v1.3.0
	golang.org/x/text v0.31.0
)

require golang.org/x/sys v0.28.0 // indirect

module github.com/goftplib/ftp

go 1.26

require golang.org/x/text v0.31.0

require (
	github.com/fclairamb/ftpserverlib v0.25.0 // indirect
	github.com/fclairamb/go-log v0.5.0 // indirect
	github.com/spf13/afero v1.15.0 // indirect
	go.uber.org/goleak v1.3.0 // indirect
	golang.org/x/sys v0.28.0 // indirect
)

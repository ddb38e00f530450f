// Package listing parses the directory listings FTP servers send: MLSD and
// MLST lines (RFC 3659 section 7) with [ParseMLSx], and the free-form
// output of LIST (RFC 959 section 4.1.3) with [ParseLine] and [Parse].
//
// LIST has no standard format; servers send whatever their operating system
// prints. The parsers here recognise, without being told which server they
// talk to:
//
//	unix     -rw-r--r--   1 owner group  1234 Jan  2 15:04 name
//	         (and its variants: ISO and numeric dates, localized month names,
//	         CJK dates such as "1月 2 15:04" and "2024年1月2日", missing group,
//	         device numbers, ls -i/-s columns, ACL markers, octal modes such
//	         as "644" or "0100644", Unix-seconds times)
//	netware  d [RWCEAFMS] owner      512       Jan 16 18:53    name
//	dos      01-02-24  03:04PM       <DIR>          name
//	eplf     +i8388621.29609,m824255902,/,<TAB>name
//	vms      NAME.EXT;1  12/34  1-JAN-2024 12:00:00 [GROUP,OWNER] (RWED,RWED,RE,)
//	os2      1123      A    07-14-99   12:37  name
//	os400    OWNER  12345 01/02/24 12:00:00 *STMF      name
//	mvs      VOL001 3390   2024/01/02  1   15  FB      80 27920  PS  DATA.SET
//	         NAME      01.03 2024/01/02 2024/01/05 09:37    11    11     0 USER1
//	zvm      NAME     EXT      F         80          1          1 2024-01-02 12:00:00 VOL191
//	vxworks  2048    Feb-28-1998  05:23:30   name <DIR>
//	tandem   NAME     101      528  6-Apr-07 14:21:18 255, 0 "oooo"
//	mvs/JES  PAYROLL1 JOB00123 IBMUSER  OUTPUT A  RC=0000 3 spool files   (SITE FILETYPE=JES)
//	         001 JES2              A JESMSGLG       1200                 (a job's spool files)
//	os9      20.20 07/03/29 1026 d-ewrewr 2650 85920 CMDS                (Microware OS-9)
//	nortel   config.cfg       1014196  06/03/04  Thur.   10:20:03        (Nortel wfFtp)
//	mlsx     type=file;size=5;modify=20240102150405; name   (some servers answer LIST so)
//
// # Safety
//
// No Entry returned by this package has a Name that is empty, contains a
// slash, NUL, CR or LF, or is "." or "..", except that "." has Type
// [CurrentDir] and ".." has Type [ParentDir] (and those types always carry
// exactly those names). Such entries come from MLSD's cdir/pdir facts and
// from listings that show the directory itself (ls -a, an OS/400 *FILE
// line without a name). A line whose name breaks these rules is rejected
// with an error wrapping [ErrName]; a single trailing slash that some
// servers append to directory names is removed.
//
// # Names
//
// Names are otherwise returned exactly as sent, with leading and trailing
// spaces (a CR or LF ending the line is not part of it). Where the name
// starts is a rule of each format:
//
//   - unix: right after the single blank that follows the time or year
//     column, as ls prints it: two blanks after "09:31" mean a name that
//     starts with a blank. A date without a time ("2004.07.15") is padded,
//     so blanks after it are removed. A symlink's "name -> target" is split at the " -> " whose
//     target length matches the listed size (ls lists a symlink's size as
//     its target's length), else at the first; other entries keep " -> "
//     in the name.
//   - dos: a file's name follows the single blank after the size; after
//     "<DIR>", IIS aligns names ten blanks further (blanks beyond those
//     belong to the name), other servers' padding is removed.
//   - os2: two blanks after the time.
//   - netware, os400, vxworks, vms and the IBM formats pad their columns:
//     leading blanks (and, for vxworks, trailing ones) are padding.
//   - mlsx: after the single space that ends the facts (RFC 3659).
//
// VMS files keep their version ("NAME.TXT;3"): several versions can be
// listed, and RETR accepts the versioned name; directories ("SUB.DIR;1")
// are named without extension and version ("SUB").
//
// # Times
//
// LIST times are read in Options.Location (UTC by default), a missing year
// is inferred from Options.Now, and Entry.Precision tells whether a time of
// day was given. Numeric dates are read year first when the year has four
// digits, day first with dots ("31.12.24") or when the first number
// exceeds 12, and month first otherwise, as US servers print them;
// two-digit years below 70 are 20xx.
//
// # Never losing a line
//
// [Parse] returns every entry it could parse and, joined with
// [errors.Join], one [*ParseError] for each line it could not: a listing
// line is never dropped silently. Lines that carry no entry ("total 12",
// blank lines, VMS "Directory" headers and "Total of" trailers, MVS column
// headers) are recognised individually and skipped; [ParseLine] reports
// them as [ErrSkip].
//
// All functions are pure (no I/O) and safe for concurrent use.
package listing

package listing

import (
	"fmt"
	"testing"
	"time"
)

func TestScratch(t *testing.T) {
	o := &Options{Now: time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)}
	for _, l := range []string{
		"dr-xr-xr-x   2 root     other        512 Apr  8  1994 01-unix-std dir",
		"-rw-r--r--   1 root     other        531 3 29 03:26 02-unix-std file",
		"dr-xr-xr-x   2 root                  512 Apr  8  1994 03-unix-nogroup dir",
		"lrwxrwxrwx   1 root     other          7 Jan 25 00:17 04-unix-std link -> usr/bin",
		"-rw-r--r--   1 root     other        531 09-26 2000 05-unix-date file",
		"-rw-r--r--   1 root     other        531 09-26 13:45 06-unix-date file",
		"-rw-r--r--   1 root     other        531 2005-06-07 21:22 07-unix-date file",
		"-rw-r--r--   1 root     other  33.5k Oct 5 21:22 08-unix-namedsize file",
		"d [R----F--] supervisor            512       Jan 16 18:53    09-netware dir",
		"- [R----F--] rhesus             214059       Oct 20 15:27    10-netware file",
		"-------r--         326  1391972  1392298 Nov 22  1995 11-netpresenz file",
		"drwxrwxr-x               folder        2 May 10  1996 12-netpresenz dir",
		"-rw-r--r--   1 group domain user 531 Jan 29 03:26 13-unix-domain file",
		"+i8388621.48594,m825718503,r,s280,up755\t14-eplf file",
		"+i8388621.50690,m824255907,/,\t15-eplf dir",
		"04-27-00  12:09PM       <DIR>          16-dos-dateambiguous dir",
		"04-06-00  03:47PM                  589 17-dos-dateambiguous file",
		"2002-09-02  18:48       <DIR>          18-dos-longyear dir",
		"2002-09-02  19:06                9,730 19-dos-longyear file",
		"206876  Apr 04, 2000 21:06 21-vshell-old file",
		"0  Dec 12, 2002 02:13 22-vshell-old dir/",
		"-rwxr-xr-x    1 user group        9 Oct 08, 2002 09:47 23-vshell-new file",
		"36611      A    04-23-103  10:57  24-os2 file",
		" 1123      A    07-14-99   12:37  25-os2 file",
		"    0 DIR       02-11-103  16:15  26-os2 dir",
		" 1123 DIR  A    10-05-100  23:38  27-os2 dir",
		"dr-xr-xr-x   2 root     other      2235 26. Juli, 20:10 28-datetest-ger dir",
		"dr-xr-xr-x   2 root     other      2235 szept 26 20:10 28b-datetest-hungarian dir",
		"-r-xr-xr-x   2 root     other      2235 2.   Okt.  2003 29-datetest-ger file",
		"-r-xr-xr-x   2 root     other      2235 1999/10/12 17:12 30-datetest file",
		"-r-xr-xr-x   2 root     other      2235 24-04-2003 17:12 31-datetest file",
		"-r-xr-xr-x   2 root  root  96 2004.07.15   35-dotted-date file",
		"36-vms-dir.DIR;1  1 19-NOV-2001 21:41 [root,root] (RWE,RWE,RE,RE)",
		"37-vms-file;1       155   2-JUL-2003 10:30:13.64",
		"38-vms-notime-file;1    2/8    7-JAN-2000    [IV2_XXX]   (RWED,RWED,RE,)",
		"42-vms-alternate-field-order-file;1   [SUMMARY]    1/3     2-AUG-2006 13:05  (RWE,RWE,RE,)",
		"43-vms-alternate-field-order-file;1       17-JUN-1994 17:25:37     6308/13     (RWED,RWED,R,)",
		"QSYS            77824 02/23/00 15:09:55 *DIR 44-ibm-as400 dir/",
		"QSYS            77824 23/02/00 15:09:55 *FILE 45-ibm-as400-date file",
		"-r-xr-xr-x 2 owner group 4512 01-jun-99 47_unix_shortdatemonth file",
		"2048    Feb-28-1998  05:23:30   49-nortel-vxworks dir <DIR>",
		"drwxr-xr-x 3 user group 512 01 oct 2004 52-swapped-daymonth dir",
		"-r--r--r-- 0125039 12 Nov 11 2005 53-noownergroup file",
		"drwxr-xr-x   5 root     sys          512 2005\xEB\x85\x84  1\xEC\x9B\x94  6\xEC\x9D\xBC 54-asian date year first dir",
		"QPGMR           36864 18.09.06 14:21:26 *FILE      55-AS400.FILE",
		"56-VMS-complex-size;1 2KB 23-SEP-2005 14:57:07.27",
		"57-HP_NonStop 101 528 6-Apr-07 14:21:18 255, 0 \"oooo\"",
		"58-HP_NonStop 101 528 6-Apr-07 14:21:18 255,255 \"oooo\"",
		"drwxr-xr-x 6 user sys 1024 30. Jan., 12:40 59-localized-date-dir",
		"WYOSPT 3420   2003/05/21  1  200  FB      80  8053  PS  60-MVS.FILE",
		"WPTA01 3290   2004/03/04  1    3  FB      80  3125  PO  61-MVS.DATASET",
		"NRP004 3390   **NONE**    1   15  NONE     0     0  PO  62-MVS-NONEDATE.DATASET",
		"TSO005 3390   2005/06/06 213000 U 0 27998 PO 63-MVS.DATASET",
		"TSO004 3390   VSAM 64-mvs-file",
		"66-MVSPDSMEMBER 01.01 2004/06/22 2004/06/22 16:32   128   128    0 BOBY12",
		"Migrated\t\t\t\t69-SOME.FILE",
		"70-ZVMFILE  TRACE   V        65      107        2 2005-10-04 15:28:42 060191",
		"Type=file;mOdIfY=20081105165215;size=1234; 72-MLSD-file",
		"V43525 Tape                                             73-MSV-TAPE.FILE",
		"WYOSPT 3420   2003/05/21  1 ????  FB      80  8053  PS  79-MVS.FILE",
		"WYOSPT 3420   2003/05/21  1 3 U 6447    6447  PO-E 81-MVS.DIR",
		"drwxrwxrwx   1 0        0               0 29 Jul 02:27 2014 Invoices",
		"-rw-------      1  99999999 0              3 Apr   4 24:00 alternate_midnight",
		"-rw-r--r-- 1 user group 1234  1月 12 10:00 ja",
		"-rw-r--r-- 1 user group 1234 янв 12  2020 ru",
		"crw-rw---- 1 root disk 8, 0 Jan 1 2024 sda",
		"-rw-r--r-- 1 user group 1234 2024-01-02 15:04:05.123456789 +0100 full",
		"total 123",
	} {
		e, err := ParseLine(l, o)
		fmt.Printf("%-9s %-6s %-10d %-35s %q %q %q/%q %q\n", e.Format, e.Type, e.Size, e.Time.Format(time.RFC3339Nano), e.Name, e.Target, e.Owner, e.Group, e.Perm)
		if err != nil {
			fmt.Println("   ERR", err)
		}
	}
}

package ftp

// Reply codes from RFC 959 section 4.2, RFC 2228, RFC 2428 and RFC 3659,
// named after the RFCs' wording.
const (
	CodeRestartMarker         = 110
	CodeServiceReadyIn        = 120
	CodeAlreadyOpen           = 125
	CodeAboutToSend           = 150
	CodeCommandOK             = 200
	CodeSuperfluous           = 202
	CodeSystemStatus          = 211
	CodeDirectoryStatus       = 212
	CodeFileStatus            = 213
	CodeHelpMessage           = 214
	CodeSystemType            = 215
	CodeServiceReady          = 220
	CodeServiceClosing        = 221
	CodeDataOpen              = 225
	CodeClosingData           = 226
	CodeEnteringPassive       = 227
	CodeEnteringExtPassive    = 229
	CodeLoggedIn              = 230
	CodeSecurityExchangeOK    = 234
	CodeFileActionOK          = 250
	CodePathCreated           = 257
	CodeNeedPassword          = 331
	CodeNeedAccount           = 332
	CodePendingFurtherInfo    = 350
	CodeServiceNotAvailable   = 421
	CodeCantOpenData          = 425
	CodeTransferAborted       = 426
	CodeFileBusy              = 450
	CodeLocalError            = 451
	CodeInsufficientStorage   = 452
	CodeSyntaxError           = 500
	CodeSyntaxErrorArgs       = 501
	CodeNotImplemented        = 502
	CodeBadSequence           = 503
	CodeNotImplementedParam   = 504
	CodeNotLoggedIn           = 530
	CodeNeedAccountForStoring = 532
	CodeProtectionDenied      = 534
	CodeFileUnavailable       = 550
	CodePageTypeUnknown       = 551
	CodeExceededStorage       = 552
	CodeBadFileName           = 553
)

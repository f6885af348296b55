"""The one list of built-in rules. A new rule class is added here by hand (a test checks it)."""

from __future__ import annotations

from lwsyslog.rules.access import (
    AccessDeniedAuthorization,
    AccessDeniedByConfig,
    AccessDeniedDirectoryIndex,
    AccessDeniedStatus,
)
from lwsyslog.rules.actuator import SensitiveActuatorEndpoint
from lwsyslog.rules.admin import AdminAppServerProbe, AdminCmsProbe, AdminDatabaseConsoleProbe
from lwsyslog.rules.auth import AuthFailureErrorLog, AuthFailureStatus
from lwsyslog.rules.badbot import BadBotEmailHarvester, BadBotSiteRipper
from lwsyslog.rules.base import Rule
from lwsyslog.rules.code import (
    CodeEvalMarkerProbe,
    CodeExpressionLanguage,
    CodeJsDelayLoop,
    CodePhpCgiArgs,
    CodePhpFunction,
    CodeSpringClassLoader,
    CodeTemplate,
)
from lwsyslog.rules.command import (
    CommandArgv,
    CommandDownloadExec,
    CommandOutputInErrorLog,
    CommandQuotedName,
    CommandServerSideInclude,
    CommandShellChain,
)
from lwsyslog.rules.command_raw import (
    CommandEncodedAmpersand,
    CommandEscapedNewline,
    CommandLeadingSeparator,
)
from lwsyslog.rules.cut import ProtocolCutLine
from lwsyslog.rules.deserialization import SerializedObject
from lwsyslog.rules.dos import DosMaxWorkers, DosRequestTimeout, DosSlowRequestTimeout
from lwsyslog.rules.header import HeaderInjectionKnownHeader, HeaderInjectionProbe
from lwsyslog.rules.inclusion import InclusionProcSelf, InclusionRemoteUrl, InclusionStreamWrapper
from lwsyslog.rules.log4shell import Log4ShellJndi, Log4ShellLookup
from lwsyslog.rules.nosql import NosqlOperator
from lwsyslog.rules.nullbyte import ProtocolNullByte
from lwsyslog.rules.protocol import (
    ProtocolBadRequestStatus,
    ProtocolDebugMethod,
    ProtocolEncodingFlood,
    ProtocolInvalidUri,
    ProtocolMalformedRequestLine,
    ProtocolOversizedRequest,
    ProtocolTlsOnPlainPort,
    ProtocolTlsSniMismatch,
    ProtocolWebdavMethod,
)
from lwsyslog.rules.scanner import (
    ScannerIisShortName,
    ScannerMissingScript,
    ScannerProbeMarker,
    ScannerProbePath,
    ScannerUserAgent,
    ScannerUserDirProbe,
)
from lwsyslog.rules.sensitive import (
    SensitiveBackupFile,
    SensitiveDotfile,
    SensitiveEncodedSuffix,
    SensitiveHiddenPath,
    SensitiveLogFile,
    SensitiveSecretFile,
    SensitiveServerStatus,
    SensitiveSourceDisclosure,
)
from lwsyslog.rules.server import ServerChildCrash, ServerPhpFatal
from lwsyslog.rules.shellshock import ShellshockBashImport, ShellshockFunctionDef
from lwsyslog.rules.sqli import (
    SqliBlindProbe,
    SqliDatabaseFingerprint,
    SqliQuoteBreakout,
    SqliSubqueryCondition,
    SqliTautology,
    SqliTimeBlind,
    SqliUnionSelect,
)
from lwsyslog.rules.sqli_shapes import (
    SqliLeadingCondition,
    SqliQuoteOperator,
    SqliQuoteStatement,
    SqliStackedQuery,
    SqliStringCondition,
    SqliValueStatement,
)
from lwsyslog.rules.ssrf import SsrfCloudMetadata, SsrfLoopback, SsrfPrivateNetwork
from lwsyslog.rules.traversal import TraversalDotDot, TraversalSystemFile
from lwsyslog.rules.waf import WafModSecurityBlock, WafModSecurityWarning
from lwsyslog.rules.watched import WatchedPath
from lwsyslog.rules.webshell import WebshellCommand, WebshellKnownName, WebshellUploadExec
from lwsyslog.rules.xss import (
    XssEventHandler,
    XssInjectedTag,
    XssJsSink,
    XssJsUri,
    XssLegacyVector,
    XssScriptTag,
)

__all__ = ["ALL_RULES", "rule_class"]

#: Every built-in rule, in the order findings list them (most specific attacks first).
ALL_RULES: tuple[type[Rule], ...] = (
    Log4ShellJndi,
    Log4ShellLookup,
    ShellshockFunctionDef,
    ShellshockBashImport,
    CommandShellChain,
    CommandDownloadExec,
    CommandServerSideInclude,
    CommandOutputInErrorLog,
    CommandArgv,
    CommandQuotedName,
    CommandEncodedAmpersand,
    CommandEscapedNewline,
    CommandLeadingSeparator,
    WebshellCommand,
    WebshellUploadExec,
    WebshellKnownName,
    SqliUnionSelect,
    SqliTautology,
    SqliBlindProbe,
    SqliSubqueryCondition,
    SqliStringCondition,
    SqliQuoteBreakout,
    SqliTimeBlind,
    SqliDatabaseFingerprint,
    SqliStackedQuery,
    SqliQuoteStatement,
    SqliValueStatement,
    SqliLeadingCondition,
    SqliQuoteOperator,
    NosqlOperator,
    XssScriptTag,
    XssEventHandler,
    XssJsUri,
    XssInjectedTag,
    XssJsSink,
    XssLegacyVector,
    HeaderInjectionKnownHeader,
    HeaderInjectionProbe,
    TraversalDotDot,
    TraversalSystemFile,
    InclusionStreamWrapper,
    InclusionRemoteUrl,
    InclusionProcSelf,
    SsrfCloudMetadata,
    SsrfLoopback,
    SsrfPrivateNetwork,
    CodeTemplate,
    CodeExpressionLanguage,
    CodeSpringClassLoader,
    CodePhpFunction,
    CodePhpCgiArgs,
    CodeEvalMarkerProbe,
    CodeJsDelayLoop,
    SerializedObject,
    SensitiveDotfile,
    SensitiveHiddenPath,
    SensitiveBackupFile,
    SensitiveSourceDisclosure,
    SensitiveEncodedSuffix,
    SensitiveSecretFile,
    SensitiveLogFile,
    SensitiveServerStatus,
    SensitiveActuatorEndpoint,
    AdminDatabaseConsoleProbe,
    AdminCmsProbe,
    AdminAppServerProbe,
    ScannerUserAgent,
    ScannerProbeMarker,
    ScannerProbePath,
    ScannerMissingScript,
    ScannerUserDirProbe,
    ScannerIisShortName,
    WatchedPath,
    BadBotEmailHarvester,
    BadBotSiteRipper,
    AuthFailureStatus,
    AuthFailureErrorLog,
    ProtocolDebugMethod,
    ProtocolWebdavMethod,
    ProtocolTlsOnPlainPort,
    ProtocolMalformedRequestLine,
    ProtocolBadRequestStatus,
    ProtocolInvalidUri,
    ProtocolOversizedRequest,
    ProtocolTlsSniMismatch,
    ProtocolCutLine,
    ProtocolNullByte,
    ProtocolEncodingFlood,
    DosSlowRequestTimeout,
    DosRequestTimeout,
    DosMaxWorkers,
    ServerChildCrash,
    ServerPhpFatal,
    WafModSecurityBlock,
    WafModSecurityWarning,
    AccessDeniedByConfig,
    AccessDeniedAuthorization,
    AccessDeniedDirectoryIndex,
    AccessDeniedStatus,
)

_BY_ID: dict[str, type[Rule]] = {cls.id: cls for cls in ALL_RULES}


def rule_class(rule_id: str) -> type[Rule]:
    """The registered rule class with id ``rule_id`` (``KeyError`` when there is none)."""
    return _BY_ID[rule_id]

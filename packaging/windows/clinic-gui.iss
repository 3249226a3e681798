; Inno Setup script for the clinic_gui Windows installer.
;
; Build (on Windows, after `pyinstaller build.spec` made dist\clinic-gui\):
;   ISCC.exe /DAppVersion=0.1.0 packaging\windows\clinic-gui.iss
; -> dist\clinic-gui-0.1.0-windows-x64-setup.exe
;
; Needs Inno Setup 6.3 or later (the x64compatible architecture name). The CI workflow
; .github/workflows/installers.yml builds it; it has not been compiled on the machine where it
; was written (Linux), so the workflow's first run is its first compile.
;
; What it does:
; - installs for every user of the PC (administrator rights) into C:\Program Files\clinic_gui;
; - Start-menu shortcuts "clinic_gui" and "clinic_gui (safe mode)" (software rendering, for
;   PCs whose graphics driver shows a black or garbled window), and an optional desktop one;
;   the console twin clinic-gui-cli.exe (support, scripting) is installed but has no shortcut;
; - uninstalls an installed earlier version first (see [Code]), so no stale file survives;
; - NEVER deletes the clinic data. The database and its backups live in each user's
;   %LOCALAPPDATA%\clinic_gui (platformdirs; see clinic_gui/paths.py), which this installer and
;   its uninstaller never name in any delete. Only files inside the program folder are removed.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "clinic_gui"
#define AppExe "clinic-gui.exe"
; Fixed forever: Windows knows the installed program by this id. A new id would make an upgrade
; install beside the old version instead of replacing it.
#define AppGuid "3C0F6E52-9B1D-4A87-A6E4-7D2F51B0C9A3"

[Setup]
; "{{" is a literal "{": the id is {3C0F6E52-...}.
AppId={{{#AppGuid}}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
AppComments=Infliximab infusion clinic record with end-of-dose wearing-off and TDM decision support
; Per machine: administrator rights, Program Files (64-bit), HKLM uninstall entry.
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Qt 6 needs Windows 10 or later.
MinVersion=10.0
DefaultDirName={autopf}\clinic_gui
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; An upgrade goes where the previous version was.
UsePreviousAppDir=yes
; A running clinic_gui is closed (after asking) before its files are replaced, and not
; restarted: the user starts the new version.
CloseApplications=yes
RestartApplications=no
SetupIconFile=..\..\resources\icons\clinic-gui.ico
; The program carries the same icon (build.spec gives it resources\icons\clinic-gui.ico).
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
OutputDir=..\..\dist
OutputBaseFilename=clinic-gui-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Setup writes a log to %TEMP% (Setup Log *.txt): the first thing to ask for in a support call.
SetupLogging=yes
; Not code-signed yet: see docs/installers.md. When a certificate exists, add a SignTool line
; here (and sign dist\clinic-gui\*.exe before compiling).

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; Belt and braces after the uninstall in [Code]: if the earlier version's uninstaller could not
; run, its libraries folder is still cleared so no stale library is loaded. Program folder only.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
; The PyInstaller one-folder bundle: clinic-gui.exe (the window), clinic-gui-cli.exe (its
; console twin) and _internal\ (Python, Qt and the app's resources).
Source: "..\..\dist\clinic-gui\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "Infliximab infusion clinic"
Name: "{group}\{#AppName} (safe mode)"; Filename: "{app}\{#AppExe}"; Parameters: "--safe-mode"; WorkingDir: "{app}"; Comment: "clinic_gui with software rendering, for a black or garbled window"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "Infliximab infusion clinic"; Tasks: desktopicon

[Run]
; runasoriginaluser: the first start runs as the user who started Setup, not as the
; administrator, so the database is made in that user's %LOCALAPPDATA%\clinic_gui.
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent runasoriginaluser

[UninstallDelete]
; Only inside the program folder. The app never writes there, so this is just whatever the
; uninstall log does not list; the folder itself goes only when empty (a folder the user chose,
; holding other files, is never emptied). Nothing in %LOCALAPPDATA%\clinic_gui is named here,
; and nothing in [Code] deletes anything: the clinic data always survives an uninstall.
Type: filesandordirs; Name: "{app}\_internal"
Type: dirifempty; Name: "{app}"

[Code]
const
  // The uninstall entry every version writes, under the fixed AppId above.
  UninstallKey = 'Software\Microsoft\Windows\CurrentVersion\Uninstall\{{#AppGuid}}_is1';

// The installed version's uninstaller command line (quoted), or '' when none is installed.
function PreviousUninstaller(): String;
begin
  Result := '';
  // Step 1: per-machine installs are registered in HKLM (the 64-bit view, in 64-bit install
  // mode, where every version of this installer registers).
  if not RegQueryStringValue(HKLM, UninstallKey, 'UninstallString', Result) then
    // Step 2: otherwise look in HKCU, in case a per-user build was ever installed.
    RegQueryStringValue(HKCU, UninstallKey, 'UninstallString', Result);
end;

// Uninstalls the earlier version, if any, before this one's files are copied.
procedure UninstallPreviousVersion();
var
  Uninstaller: String;
  ResultCode: Integer;
begin
  // Step 1: find it; nothing to do on a first install.
  Uninstaller := RemoveQuotes(PreviousUninstaller());
  if Uninstaller = '' then
    Exit;
  if not FileExists(Uninstaller) then
  begin
    Log('The previous version''s uninstaller is missing: ' + Uninstaller);
    Exit;
  end;

  // Step 2: run it silently and wait for it. /VERYSILENT shows no window, /SUPPRESSMSGBOXES
  // answers its questions with the default, /NORESTART never reboots the PC. It removes the
  // earlier program files, shortcuts and uninstall entry; like every version's uninstaller it
  // leaves %LOCALAPPDATA%\clinic_gui (the database and its backups) alone.
  Log('Uninstalling the previous version: ' + Uninstaller);
  if not Exec(Uninstaller, '/VERYSILENT /SUPPRESSMSGBOXES /NORESTART', '', SW_HIDE,
    ewWaitUntilTerminated, ResultCode) then
    Log('The previous uninstaller could not start: ' + SysErrorMessage(ResultCode))
  else if ResultCode <> 0 then
    Log('The previous uninstaller exited with code ' + IntToStr(ResultCode))
  else
    Log('The previous version was uninstalled.');

  // Step 3: whatever happened, installing goes on: [InstallDelete] clears the old libraries
  // folder and [Files] replaces every program file, so the result is the new version.
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  // ssInstall comes after the wizard pages and after a running clinic_gui was closed, and
  // before any file is copied: the moment to remove the earlier version.
  if CurStep = ssInstall then
    UninstallPreviousVersion();
end;

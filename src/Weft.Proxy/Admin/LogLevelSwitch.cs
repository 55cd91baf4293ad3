using Microsoft.Extensions.Logging;

namespace Weft.Proxy.Admin;

/// <summary>The proxy's own log level, changed at run time through the admin port's /logging.</summary>
internal sealed class LogLevelSwitch
{
    private volatile int _level = (int)LogLevel.Information;

    public LogLevel Level
    {
        get => (LogLevel)_level;
        set => _level = (int)value;
    }

    public bool IsEnabled(LogLevel level) => level >= Level;
}

using System.Buffers;
using Microsoft.Extensions.Primitives;

namespace Weft.Proxy.Matching;

/// <summary>
/// Applies a matcher to a header's value the way Envoy does: a header with several values is matched
/// as the values joined with ','. The join uses a stack or pooled buffer, never the GC heap.
/// </summary>
internal static class HeaderValueMatcher
{
    private const int StackLimit = 256;

    public static bool IsMatch<TMatcher>(StringValues values, TMatcher matcher)
        where TMatcher : ISpanMatcher
    {
        var count = values.Count;
        if (count == 1)
        {
            return matcher.IsMatch(values[0]);
        }

        var length = count - 1;
        for (var i = 0; i < count; i++)
        {
            length += values[i]?.Length ?? 0;
        }

        char[]? rented = null;
        var buffer = length <= StackLimit
            ? stackalloc char[StackLimit]
            : (rented = ArrayPool<char>.Shared.Rent(length));
        try
        {
            var written = 0;
            for (var i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    buffer[written++] = ',';
                }

                var value = values[i];
                if (value is not null)
                {
                    value.CopyTo(buffer[written..]);
                    written += value.Length;
                }
            }

            return matcher.IsMatch(buffer[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }
}

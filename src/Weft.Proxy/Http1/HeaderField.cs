namespace Weft.Proxy.Http1;

/// <summary>Where one header line's name and value are in a head's bytes.</summary>
internal readonly record struct HeaderField(int NameStart, int NameLength, int ValueStart, int ValueLength);

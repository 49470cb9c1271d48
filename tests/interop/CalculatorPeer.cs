// A WCF peer for Indigo's interop tests, run under Mono 6.8 (System.ServiceModel).
//
// It hosts or calls one of three contracts that mirror the Rust side:
//   * ICalculatorSession (http://tempuri.org/, SessionMode.Required) over net.tcp with text
//     encoding (binding "tcp-text") or NetTcpBinding(SecurityMode.None), whose default is .NET
//     binary XML with a session dictionary (binding "tcp-binary");
//   * ILongNames (http://example.org/names, SessionMode.Required) over
//     NetTcpBinding(SecurityMode.None) (binding "tcp-binary-names"): operations with ~250-char
//     names, so the side that puts operation names into its session dictionary (Indigo) fills
//     the 2,048-byte MaxSessionSize within one session. Mono puts only parameter and result
//     names there ("v", "EndResult"), which keeps its own tables tiny;
//   * IEcho (http://example.org/echo/, sessionless) over HTTP, SOAP 1.1 ("basic-http") or
//     SOAP 1.2 + WS-Addressing 1.0 ("soap12-http"), or over net.tcp with text ("tcp-text-echo")
//     or binary XML ("tcp-binary-echo"), where Mono sends the typed fault of Fail without a
//     RelatesTo header;
//   * IFiles (http://example.org/files, sessionless) over NetTcpBinding(SecurityMode.None) with
//     TransferMode.Streamed (binding "tcp-streamed"): Upload(Stream) and Download(long) -> Stream
//     with --size bytes (default 32 MiB) of a generated pattern, checked by a running digest on
//     both sides, so neither holds the payload.
//
// Usage:
//   mono CalculatorPeer.exe server --binding B --address URL [--listen URL] [--seconds N]
//   mono CalculatorPeer.exe client --binding B --address URL [--via URL] [--size BYTES]
//
// --listen makes the service accept messages addressed (To) to --address while listening at
// another URL, e.g. behind a logging proxy that sits on --address. --via makes the client
// connect to another URL than the To address (net.tcp; Mono's SOAP 1.2 HTTP client ignores Via,
// and basic-http, which sends no To, simply connects to --via).
//
// Output is one machine-readable line per event, on stdout:
//   READY <address>              server: the host is open
//   CALL <instance> <Op> [arg]   server: an operation ran (instance: per-session number, or -)
//   CLOSED                       server: the host closed (stdin reached EOF or N seconds passed)
//   RESULT <what> <value...>     client: one result of the fixed scenario
//   DONE                         client: the scenario finished
//   ERROR <type>: <message>      anything failed; the exit code is then 1
//
// Build: tests/interop/build.sh [OUTDIR]

using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Globalization;
using System.IO;
using System.Runtime.Serialization;
using System.ServiceModel;
using System.ServiceModel.Channels;
using System.Text;
using System.Threading;
using System.Xml;

namespace IndigoInterop
{
    [ServiceContract(Name = "IFiles", Namespace = "http://example.org/files")]
    public interface IFiles
    {
        [OperationContract]
        string Upload(Stream data);

        [OperationContract]
        Stream Download(long size);
    }

    public class FilesService : IFiles
    {
        public string Upload(Stream data)
        {
            string digest = Pattern.Digest(data);
            Peer.Line("CALL - Upload " + digest);
            return digest;
        }

        public Stream Download(long size)
        {
            Peer.Line("CALL - Download " + size.ToString(CultureInfo.InvariantCulture));
            return new Pattern(size);
        }
    }

    // The bytes Indigo's streamed tests use: xorshift64 words, little-endian, made as they are
    // read. Digest is "len:sum" with sum = rotl(sum, 5) ^ byte over every byte.
    public class Pattern : Stream
    {
        long remaining;
        ulong state = 0x9E3779B97F4A7C15UL;
        readonly byte[] word = new byte[8];
        int used = 8;

        public Pattern(long size) { remaining = size; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, remaining);
            for (int i = 0; i < n; i++)
            {
                if (used == 8)
                {
                    ulong x = state;
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    state = x;
                    for (int k = 0; k < 8; k++) word[k] = (byte)(x >> (8 * k));
                    used = 0;
                }
                buffer[offset + i] = word[used++];
            }
            remaining -= n;
            return n;
        }

        public static string Digest(Stream stream)
        {
            var buffer = new byte[65536];
            ulong len = 0, sum = 0;
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                for (int i = 0; i < read; i++) sum = ((sum << 5) | (sum >> 59)) ^ buffer[i];
                len += (ulong)read;
            }
            return len.ToString(CultureInfo.InvariantCulture) + ":" + sum.ToString(CultureInfo.InvariantCulture);
        }

        public override bool CanRead { get { return true; } }
        public override bool CanSeek { get { return false; } }
        public override bool CanWrite { get { return false; } }
        public override long Length { get { throw new NotSupportedException(); } }
        public override long Position
        {
            get { throw new NotSupportedException(); }
            set { throw new NotSupportedException(); }
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) { throw new NotSupportedException(); }
        public override void SetLength(long value) { throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) { throw new NotSupportedException(); }
    }

    [ServiceContract(Name = "ICalculatorSession", Namespace = "http://tempuri.org/",
        SessionMode = SessionMode.Required)]
    public interface ICalculatorSession
    {
        [OperationContract(IsOneWay = false, IsInitiating = true, IsTerminating = false)]
        void Clear();

        [OperationContract(IsOneWay = true, IsInitiating = false, IsTerminating = false)]
        void AddTo(double n);

        [OperationContract(IsOneWay = true, IsInitiating = false, IsTerminating = false)]
        void SubtractFrom(double n);

        [OperationContract(IsOneWay = true, IsInitiating = false, IsTerminating = false)]
        void MultiplyBy(double n);

        [OperationContract(IsOneWay = true, IsInitiating = false, IsTerminating = false)]
        void DivideBy(double n);

        // The wire name is "Equals" (action .../ICalculatorSession/Equals, reply element
        // EqualsResponse/EqualsResult); the C# name avoids clashing with object.Equals.
        [OperationContract(Name = "Equals", IsInitiating = false, IsTerminating = true)]
        double Total();
    }

    public static class Names
    {
        // 240 characters; every StepNN operation's wire name is "StepNN" + Pad.
        public const string Pad = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01";
    }

    [ServiceContract(Name = "ILongNames", Namespace = "http://example.org/names",
        SessionMode = SessionMode.Required)]
    public interface ILongNames
    {
        [OperationContract(IsInitiating = true, IsTerminating = false)]
        void Begin(string v);

        [OperationContract(Name = "Step01" + Names.Pad, IsInitiating = false, IsTerminating = false)]
        void Step01(string v);

        [OperationContract(Name = "Step02" + Names.Pad, IsInitiating = false, IsTerminating = false)]
        void Step02(string v);

        [OperationContract(Name = "Step03" + Names.Pad, IsInitiating = false, IsTerminating = false)]
        void Step03(string v);

        [OperationContract(Name = "Step04" + Names.Pad, IsInitiating = false, IsTerminating = false)]
        void Step04(string v);

        [OperationContract(Name = "Step05" + Names.Pad, IsInitiating = false, IsTerminating = false)]
        void Step05(string v);

        [OperationContract(Name = "Step06" + Names.Pad, IsInitiating = false, IsTerminating = false)]
        void Step06(string v);

        [OperationContract(Name = "Step07" + Names.Pad, IsInitiating = false, IsTerminating = false)]
        void Step07(string v);

        [OperationContract(Name = "Step08" + Names.Pad, IsInitiating = false, IsTerminating = false)]
        void Step08(string v);

        [OperationContract(Name = "Step09" + Names.Pad, IsInitiating = false, IsTerminating = false)]
        void Step09(string v);

        [OperationContract(Name = "Step10" + Names.Pad, IsInitiating = false, IsTerminating = false)]
        void Step10(string v);

        [OperationContract(IsInitiating = false, IsTerminating = true)]
        string End();
    }

    [DataContract(Name = "EchoFault", Namespace = "http://schemas.datacontract.org/2004/07/")]
    public class EchoFault
    {
        [DataMember]
        public string Reason;
    }

    // The orders contract: Indigo's tests/src/orders.rs declares the same types with
    // #[data_contract].
    [DataContract(Name = "Colour", Namespace = "http://schemas.datacontract.org/2004/07/")]
    public enum Color
    {
        [EnumMember] Red,
        [EnumMember(Value = "GRN")] Green,
    }

    [DataContract(Namespace = "http://example.org/shop")]
    [Flags]
    public enum Access
    {
        [EnumMember] None = 0,
        [EnumMember] Read = 1,
        [EnumMember] Write = 2,
        [EnumMember] Delete = 4,
        [EnumMember] ReadWrite = 3,
    }

    [DataContract(Namespace = "urn:example:geometry")]
    [KnownType(typeof(Circle))]
    public class Shape
    {
        [DataMember] public string Label;
    }

    [DataContract(Namespace = "urn:example:circles")]
    public class Circle : Shape
    {
        [DataMember] public double Radius;
    }

    [CollectionDataContract(Namespace = "http://example.org/shop", ItemName = "Parcel")]
    public class Parcels : List<string> { }

    [CollectionDataContract(Namespace = "http://example.org/shop", ItemName = "Entry", KeyName = "Sku", ValueName = "Price")]
    public class PriceList : Dictionary<string, decimal> { }

    [DataContract(Namespace = "http://example.org/shop")]
    public class OrderLine
    {
        [DataMember(IsRequired = true)] public int ProductId;
        [DataMember(EmitDefaultValue = false)] public double Discount;
        [DataMember(Name = "Qty", Order = 1)] public uint Quantity;
        [DataMember] public string Note;
        [DataMember] public Color Colour;
        [DataMember] public List<string> Tags;
        [DataMember] public decimal UnitPrice;
        [DataMember] public DateTime OrderedAt;
        [DataMember] public Guid Id;
        [DataMember] public TimeSpan LeadTime;
        [DataMember] public DateTimeOffset Promised;
        [DataMember] public byte[] Thumbnail;
        [DataMember] public byte[] Signature;
        [DataMember] public Uri Home;
        [DataMember] public Dictionary<string, int> Stock;
        [DataMember] public List<List<int>> Batches;
        [DataMember] public List<string> Returns;
        [DataMember] public Access Access;
        [DataMember] public Access NoAccess;
        [DataMember] public Shape Wrapping;
        [DataMember] public List<Shape> Shapes;
        [DataMember] public Parcels Parcels;
        [DataMember] public PriceList Prices;
        [DataMember] public List<decimal> Limits;
        [DataMember] public List<DateTime> Times;
        [DataMember] public Dictionary<string, Shape> Outlines;
        [DataMember] public XmlQualifiedName Kind;
    }

    [DataContract(Name = "OutOfStockFault", Namespace = "urn:example:stock")]
    public class OutOfStock
    {
        [DataMember] public int ProductId;
    }

    [DataContract(Namespace = "urn:example:stock")]
    public class StoreClosed
    {
        [DataMember] public string Until;
    }

    [ServiceContract(Name = "Orders", Namespace = "http://example.org/orders/")]
    public interface IOrders
    {
        [OperationContract]
        OrderLine Reprice(OrderLine line);

        [OperationContract]
        [FaultContract(typeof(OutOfStock))]
        uint Reserve(OrderLine line);

        [OperationContract]
        [FaultContract(typeof(OutOfStock))]
        [FaultContract(typeof(StoreClosed))]
        void Cancel(OrderLine line);
    }

    [ServiceBehavior(InstanceContextMode = InstanceContextMode.Single)]
    public class OrdersService : IOrders
    {
        public OrderLine Reprice(OrderLine line)
        {
            Peer.Line("CALL - Reprice " + Peer.Describe(line));
            line.Discount = 0;
            line.Quantity += 1;
            return line;
        }

        public uint Reserve(OrderLine line)
        {
            Peer.Line("CALL - Reserve " + Peer.Describe(line));
            if (line.Quantity > 10)
                throw new FaultException<OutOfStock>(new OutOfStock { ProductId = line.ProductId },
                    new FaultReason("out of stock"));
            return line.Quantity;
        }

        public void Cancel(OrderLine line)
        {
            Peer.Line("CALL - Cancel " + line.ProductId + " " + line.Quantity);
            if (line.ProductId == 0)
                throw new FaultException<StoreClosed>(new StoreClosed { Until = "Monday" },
                    new FaultReason("closed"));
            if (line.Quantity > 10)
                throw new FaultException<OutOfStock>(new OutOfStock { ProductId = line.ProductId },
                    new FaultReason("out of stock"));
        }
    }

    [ServiceContract(Name = "IEcho", Namespace = "http://example.org/echo/")]
    public interface IEcho
    {
        [OperationContract]
        string Echo(string text);

        [OperationContract(IsOneWay = true)]
        void Notify(string text);

        [OperationContract]
        [FaultContract(typeof(EchoFault))]
        string Fail(string text);

        // No fault contract: a plain FaultException with a subcode.
        [OperationContract]
        string Refuse(string text);
    }

    // A duplex contract: the service calls back into its client on the session's channel.
    // WCF names the callback operations' actions after the service contract
    // (http://example.org/ticker/ITicker/PriceChanged).
    [ServiceContract(Name = "ITicker", Namespace = "http://example.org/ticker/",
        SessionMode = SessionMode.Required, CallbackContract = typeof(ITickerCallback))]
    public interface ITicker
    {
        [OperationContract] bool Subscribe(string symbol, int count);
        [OperationContract(IsOneWay = true)] void PublishLater(int count);
        [OperationContract(IsTerminating = true)] void Unsubscribe();
    }

    public interface ITickerCallback
    {
        [OperationContract(IsOneWay = true)] void PriceChanged(string symbol, double price);
        [OperationContract] bool Confirm(string order);
    }

    // Reentrant: a request-reply callback from an operation would deadlock a Single service.
    [ServiceBehavior(InstanceContextMode = InstanceContextMode.PerSession,
        ConcurrencyMode = ConcurrencyMode.Reentrant)]
    public class TickerService : ITicker
    {
        ITickerCallback client;
        string symbol;

        public bool Subscribe(string symbol, int count)
        {
            client = OperationContext.Current.GetCallbackChannel<ITickerCallback>();
            this.symbol = symbol;
            for (int i = 0; i < count; i++) client.PriceChanged(symbol, i + 0.5);
            return client.Confirm("buy " + symbol);
        }

        public void PublishLater(int count)
        {
            ITickerCallback kept = client;
            string kept_symbol = symbol;
            new Thread(() =>
            {
                Thread.Sleep(20);
                for (int i = 0; i < count; i++) kept.PriceChanged(kept_symbol, 1000 + i);
            }) { IsBackground = true }.Start();
        }

        public void Unsubscribe() { }
    }

    [CallbackBehavior(ConcurrencyMode = ConcurrencyMode.Multiple, UseSynchronizationContext = false)]
    public class TickerClientCallback : ITickerCallback
    {
        public int Prices;

        public void PriceChanged(string symbol, double price)
        {
            Peer.Line("PRICE " + symbol + " " + price.ToString(CultureInfo.InvariantCulture));
            Interlocked.Increment(ref Prices);
        }

        public bool Confirm(string order)
        {
            Peer.Line("CONFIRM " + order);
            return order.StartsWith("buy ");
        }
    }

    [ServiceBehavior(InstanceContextMode = InstanceContextMode.PerSession)]
    public class CalculatorService : ICalculatorSession
    {
        static int instances;
        readonly int instance = Interlocked.Increment(ref instances);
        double total;

        void Log(string op, string arg)
        {
            Peer.Line("CALL " + instance.ToString(CultureInfo.InvariantCulture) + " " + op
                + (arg == null ? "" : " " + arg));
        }

        public void Clear() { total = 0; Log("Clear", null); }
        public void AddTo(double n) { total += n; Log("AddTo", Peer.Num(n)); }
        public void SubtractFrom(double n) { total -= n; Log("SubtractFrom", Peer.Num(n)); }
        public void MultiplyBy(double n) { total *= n; Log("MultiplyBy", Peer.Num(n)); }
        public void DivideBy(double n) { total /= n; Log("DivideBy", Peer.Num(n)); }
        public double Total() { Log("Equals", Peer.Num(total)); return total; }
    }

    [ServiceBehavior(InstanceContextMode = InstanceContextMode.PerSession)]
    public class LongNamesService : ILongNames
    {
        static int instances;
        readonly int instance = Interlocked.Increment(ref instances);
        readonly System.Collections.Generic.List<string> seen = new System.Collections.Generic.List<string>();

        void Add(string op, string v)
        {
            seen.Add(v);
            Peer.Line("CALL " + instance.ToString(CultureInfo.InvariantCulture) + " " + op + " " + v);
        }

        public void Begin(string v) { seen.Clear(); Add("Begin", v); }
        public void Step01(string v) { Add("Step01", v); }
        public void Step02(string v) { Add("Step02", v); }
        public void Step03(string v) { Add("Step03", v); }
        public void Step04(string v) { Add("Step04", v); }
        public void Step05(string v) { Add("Step05", v); }
        public void Step06(string v) { Add("Step06", v); }
        public void Step07(string v) { Add("Step07", v); }
        public void Step08(string v) { Add("Step08", v); }
        public void Step09(string v) { Add("Step09", v); }
        public void Step10(string v) { Add("Step10", v); }
        public string End()
        {
            string all = string.Join(",", seen);
            Peer.Line("CALL " + instance.ToString(CultureInfo.InvariantCulture) + " End " + all);
            return all;
        }
    }

    [ServiceBehavior(InstanceContextMode = InstanceContextMode.Single,
        ConcurrencyMode = ConcurrencyMode.Multiple)]
    public class EchoService : IEcho
    {
        readonly object gate = new object();
        string lastNotified = "";

        public string Echo(string text)
        {
            Peer.Line("CALL - Echo " + text);
            if (text == "last-notify")
            {
                lock (gate) { return lastNotified; }
            }
            return text;
        }

        public void Notify(string text)
        {
            Peer.Line("CALL - Notify " + text);
            lock (gate) { lastNotified = text; }
        }

        public string Fail(string text)
        {
            Peer.Line("CALL - Fail " + text);
            throw new FaultException<EchoFault>(new EchoFault { Reason = text },
                new FaultReason("echo failed"));
        }

        public string Refuse(string text)
        {
            Peer.Line("CALL - Refuse " + text);
            // Mono's service sends InternalServiceFault for any plain FaultException (see
            // WIRE-NOTES.md); WCF sends this code, subcode and reason.
            throw new FaultException(new FaultReason("refused " + text),
                FaultCode.CreateSenderFaultCode("Refused", "urn:example:echo"));
        }
    }

    public static class Peer
    {
        static readonly object outGate = new object();
        static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(10);

        public static void Line(string line)
        {
            lock (outGate)
            {
                Console.Out.WriteLine(line.Replace('\r', ' ').Replace('\n', ' '));
                Console.Out.Flush();
            }
        }

        public static string Describe(OrderLine line)
        {
            return line.ProductId + " " + Num(line.Discount) + " " + line.Quantity + " "
                + (line.Note ?? "nil") + " " + line.Colour + " "
                + (line.Tags == null ? "nil" : "[" + string.Join("|", line.Tags) + "]") + " "
                + line.UnitPrice.ToString(CultureInfo.InvariantCulture) + " "
                + XmlConvert.ToString(line.OrderedAt, XmlDateTimeSerializationMode.RoundtripKind) + " "
                + line.Id + " " + XmlConvert.ToString(line.LeadTime) + " "
                + line.Promised.ToString("o", CultureInfo.InvariantCulture) + " "
                + (line.Thumbnail == null ? "nil" : Convert.ToBase64String(line.Thumbnail)) + " "
                + (line.Signature == null ? "nil" : Convert.ToBase64String(line.Signature)) + " "
                + (line.Home == null ? "nil" : line.Home.OriginalString) + " "
                + (line.Stock == null ? "nil" : "{" + string.Join(",", line.Stock.Select(kv => kv.Key + "=" + kv.Value)) + "}") + " "
                + (line.Batches == null ? "nil" : "[" + string.Join("|", line.Batches.Select(b => string.Join(",", b))) + "]") + " "
                + (line.Returns == null ? "nil" : "[" + line.Returns.Count + "]") + " "
                + (int)line.Access + " " + (int)line.NoAccess + " "
                + ShapeText(line.Wrapping) + " "
                + (line.Shapes == null ? "nil" : "[" + string.Join("|", line.Shapes.Select(ShapeText)) + "]") + " "
                + (line.Parcels == null ? "nil" : "[" + string.Join("|", line.Parcels) + "]") + " "
                + (line.Prices == null ? "nil" : "{" + string.Join(",", line.Prices.Select(kv => kv.Key + "=" + kv.Value.ToString(CultureInfo.InvariantCulture))) + "}") + " "
                + (line.Limits == null ? "nil" : "[" + string.Join("|", line.Limits.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]") + " "
                + (line.Times == null ? "nil" : "[" + string.Join("|", line.Times.Select(t => XmlConvert.ToString(t, XmlDateTimeSerializationMode.RoundtripKind))) + "]") + " "
                + (line.Outlines == null ? "nil" : "{" + string.Join(",", line.Outlines.Select(kv => kv.Key + "=" + ShapeText(kv.Value))) + "}") + " "
                + (line.Kind == null ? "nil" : line.Kind.Namespace + "#" + line.Kind.Name);
        }

        static string ShapeText(Shape shape)
        {
            if (shape == null) return "nil";
            var circle = shape as Circle;
            return circle != null ? "Circle:" + circle.Label + ":" + Num(circle.Radius) : "Shape:" + shape.Label;
        }

        public static string Num(double value)
        {
            return value.ToString("R", CultureInfo.InvariantCulture);
        }

        static int Usage(string why)
        {
            Console.Error.WriteLine(why);
            Console.Error.WriteLine("usage: CalculatorPeer.exe server --binding B --address URL [--listen URL] [--seconds N]");
            Console.Error.WriteLine("       CalculatorPeer.exe client --binding B --address URL [--via URL] [--size BYTES]");
            Console.Error.WriteLine("bindings: tcp-text | tcp-binary | tcp-binary-names | tcp-streamed | basic-http | soap12-http");
            return 2;
        }

        public static int Main(string[] args)
        {
            // Mono's WCF dispatches on the thread pool, which starts with one thread per core and
            // grows slowly; on a 2-core machine a session's one-way calls can starve the
            // listener's accept of the next connection. Start with enough threads.
            ThreadPool.SetMinThreads(32, 32);
            CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
            CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
            Thread.CurrentThread.CurrentCulture = CultureInfo.InvariantCulture;
            Thread.CurrentThread.CurrentUICulture = CultureInfo.InvariantCulture;

            if (args.Length < 1) return Usage("missing mode");
            if (args[0] == "dcs-xml")
            {
                // DataContractSerializer's own XML for the sample line, for the differential test.
                var serializer = new DataContractSerializer(typeof(OrderLine));
                var settings = new XmlWriterSettings { OmitXmlDeclaration = true, Encoding = new UTF8Encoding(false) };
                using (var output = Console.OpenStandardOutput())
                using (var writer = XmlWriter.Create(output, settings))
                {
                    serializer.WriteObject(writer, SampleLine());
                }
                return 0;
            }
            string mode = args[0], bindingName = null, address = null, via = null, listen = null;
            int seconds = 120;
            long size = 32L << 20;
            for (int i = 1; i < args.Length; i++)
            {
                string value = i + 1 < args.Length ? args[i + 1] : null;
                switch (args[i])
                {
                    case "--binding": bindingName = value; i++; break;
                    case "--address": address = value; i++; break;
                    case "--via": via = value; i++; break;
                    case "--listen": listen = value; i++; break;
                    case "--seconds":
                        if (value == null || !int.TryParse(value, NumberStyles.Integer,
                                CultureInfo.InvariantCulture, out seconds))
                            return Usage("bad --seconds");
                        i++;
                        break;
                    case "--size":
                        if (value == null || !long.TryParse(value, NumberStyles.Integer,
                                CultureInfo.InvariantCulture, out size))
                            return Usage("bad --size");
                        i++;
                        break;
                    default: return Usage("unknown argument " + args[i]);
                }
            }
            if (bindingName == null || address == null) return Usage("--binding and --address are required");

            // A client trusts the one service certificate whose thumbprint the test names.
            string trusted = Environment.GetEnvironmentVariable("PEER_TRUSTED_THUMBPRINT");
            if (!string.IsNullOrEmpty(trusted))
            {
                ServicePointManager.SecurityProtocol = SecurityProtocolType.Tls12;
                ServicePointManager.ServerCertificateValidationCallback = (sender, certificate, chain, errors) =>
                    certificate != null
                    && string.Equals(new X509Certificate2(certificate).Thumbprint, trusted, StringComparison.OrdinalIgnoreCase);
            }
            try
            {
                Binding binding = MakeBinding(bindingName, mode == "server");
                string contract = bindingName == "tcp-text" || bindingName == "tcp-binary" ? "calculator"
                    : bindingName == "tcp-binary-names" ? "names"
                    : bindingName == "tcp-streamed" ? "files"
                    : bindingName.EndsWith("-orders") ? "orders"
                    : bindingName.EndsWith("-ticker") ? "ticker" : "echo";
                switch (mode)
                {
                    case "server": return Serve(binding, contract, address, listen, seconds);
                    case "client":
                        if (contract == "calculator") RunCalculatorClient(binding, address, via);
                        else if (contract == "names") RunLongNamesClient(binding, address, via);
                        else if (contract == "files") RunFilesClient(binding, address, via, size);
                        else if (contract == "orders") RunOrdersClient(binding, address, via);
                        else if (contract == "ticker") RunTickerClient(binding, address);
                        else RunEchoClient(binding, address, via);
                        Line("DONE");
                        return 0;
                    default: return Usage("unknown mode " + mode);
                }
            }
            catch (Exception e)
            {
                Line("ERROR " + e.GetType().FullName + ": " + e.Message);
                Console.Error.WriteLine(e.ToString());
                return 1;
            }
        }

        static Binding MakeBinding(string name, bool server)
        {
            Binding binding;
            switch (name)
            {
                case "tcp-text":
                case "tcp-text-echo":
                case "tcp-text-orders":
                    binding = new CustomBinding(
                        new TextMessageEncodingBindingElement(MessageVersion.Soap12WSAddressing10, Encoding.UTF8),
                        new TcpTransportBindingElement());
                    break;
                case "tcp-binary":
                case "tcp-binary-names":
                case "tcp-binary-echo":
                case "tcp-binary-orders":
                case "tcp-binary-ticker":
                    // WCF's default net.tcp encoding: binary XML, msbinsession1 (KnownEncoding 0x08).
                    binding = new NetTcpBinding(SecurityMode.None);
                    break;
                case "tcp-streamed":
                    // Singleton framing mode (0x01) with msbin1 (0x07); WCF applies
                    // MaxReceivedMessageSize to streamed messages too, so raise it.
                    // Mono reads a Stream part through its XML reader's string content, so its
                    // quotas must allow the whole payload (Mono buffers it; Indigo does not).
                    var streamed = new NetTcpBinding(SecurityMode.None)
                    {
                        TransferMode = TransferMode.Streamed,
                        MaxReceivedMessageSize = 1L << 30,
                    };
                    streamed.ReaderQuotas.MaxStringContentLength = int.MaxValue;
                    streamed.ReaderQuotas.MaxArrayLength = int.MaxValue;
                    streamed.ReaderQuotas.MaxBytesPerRead = int.MaxValue;
                    binding = streamed;
                    break;
                case "basic-http":
                case "basic-http-orders":
                    // Exact: listen on the address's host (127.0.0.1) only, not on 0.0.0.0.
                    binding = new BasicHttpBinding { HostNameComparisonMode = HostNameComparisonMode.Exact };
                    break;
                case "basic-https":
                    // BasicHttpBinding with transport security: HTTPS. A Mono service finds its
                    // certificate for the port under $XDG_CONFIG_HOME/.mono/httplistener/.
                    binding = new BasicHttpBinding(BasicHttpSecurityMode.Transport)
                    {
                        HostNameComparisonMode = HostNameComparisonMode.Exact,
                    };
                    break;
                case "soap12-http":
                    binding = new CustomBinding(
                        new TextMessageEncodingBindingElement(MessageVersion.Soap12WSAddressing10, Encoding.UTF8),
                        new HttpTransportBindingElement { HostNameComparisonMode = HostNameComparisonMode.Exact });
                    break;
                default:
                    throw new ArgumentException("unknown binding " + name + " (tcp-text | tcp-binary | tcp-binary-names | tcp-streamed | tcp-text-echo | tcp-binary-echo | basic-http | soap12-http)");
            }
            binding.OpenTimeout = ShortTimeout;
            binding.CloseTimeout = ShortTimeout;
            binding.SendTimeout = ShortTimeout;
            // On a service, ReceiveTimeout is how long a session may idle.
            binding.ReceiveTimeout = server ? TimeSpan.FromSeconds(60) : ShortTimeout;
            if (name == "tcp-streamed")
            {
                // A streamed call's timeouts cover the whole transfer.
                binding.SendTimeout = TimeSpan.FromSeconds(120);
                binding.ReceiveTimeout = TimeSpan.FromSeconds(120);
            }
            return binding;
        }

        static int Serve(Binding binding, string which, string address, string listen, int seconds)
        {
            ServiceHost host = which == "calculator" ? new ServiceHost(typeof(CalculatorService))
                : which == "names" ? new ServiceHost(typeof(LongNamesService))
                : which == "files" ? new ServiceHost(typeof(FilesService))
                : which == "orders" ? new ServiceHost(new OrdersService())
                : which == "ticker" ? new ServiceHost(typeof(TickerService))
                : new ServiceHost(new EchoService());
            Type contract = which == "calculator" ? typeof(ICalculatorSession)
                : which == "names" ? typeof(ILongNames)
                : which == "files" ? typeof(IFiles)
                : which == "orders" ? typeof(IOrders)
                : which == "ticker" ? typeof(ITicker) : typeof(IEcho);
            if (listen == null) host.AddServiceEndpoint(contract, binding, address);
            else host.AddServiceEndpoint(contract, binding, address, new Uri(listen));
            host.Open();
            Line("READY " + address);

            // Serve until stdin reaches EOF (the test dropped our stdin) or the deadline passes.
            var stop = new ManualResetEvent(false);
            var watcher = new Thread(() =>
            {
                try { while (Console.In.Read() != -1) { } } catch (Exception) { }
                stop.Set();
            });
            watcher.IsBackground = true;
            watcher.Start();
            stop.WaitOne(TimeSpan.FromSeconds(seconds));

            try { host.Close(TimeSpan.FromSeconds(2)); } catch (Exception) { host.Abort(); }
            Line("CLOSED");
            Environment.Exit(0);
            return 0;
        }

        // With --via the client connects to `via` (a logging proxy, say) but still addresses the
        // message To `address`. Without WS-Addressing there is no To header, and WCF insists the
        // two match, so the client then simply sends to `via`.
        static T Open<T>(ChannelFactory<T> factory, string address, string via)
        {
            if (via == null) return factory.CreateChannel(new EndpointAddress(address));
            if (factory.Endpoint.Binding.MessageVersion.Addressing == AddressingVersion.None)
                return factory.CreateChannel(new EndpointAddress(via));
            return factory.CreateChannel(new EndpointAddress(address), new Uri(via));
        }

        static void RunCalculatorClient(Binding binding, string address, string via)
        {
            var factory = new ChannelFactory<ICalculatorSession>(binding);
            factory.Open();

            // First session: ((0 + 5 - 2) * 10) / 4 = 7.5
            ICalculatorSession calc = Open(factory, address, via);
            calc.Clear();
            calc.AddTo(5);
            calc.SubtractFrom(2);
            calc.MultiplyBy(10);
            calc.DivideBy(4);
            Line("RESULT Equals " + Num(calc.Total()));
            CloseChannel(calc);

            // Second session, on a new channel (connection): 0 + 1.5
            calc = Open(factory, address, via);
            calc.Clear();
            calc.AddTo(1.5);
            Line("RESULT Equals " + Num(calc.Total()));
            CloseChannel(calc);

            factory.Close();
        }

        // One session: Begin, every StepNN once, Step01 again (its name is in the dictionary by
        // then, or past the quota inline), then End, which returns everything in order.
        static void RunLongNamesClient(Binding binding, string address, string via)
        {
            var factory = new ChannelFactory<ILongNames>(binding);
            factory.Open();
            ILongNames names = Open(factory, address, via);
            names.Begin("a");
            names.Step01("1");
            names.Step02("2");
            names.Step03("3");
            names.Step04("4");
            names.Step05("5");
            names.Step06("6");
            names.Step07("7");
            names.Step08("8");
            names.Step09("9");
            names.Step10("10");
            names.Step01("again");
            Line("RESULT End " + names.End());
            CloseChannel(names);
            factory.Close();
        }

        // One upload and one download of `size` bytes; each call is a connection of its own.
        static void RunFilesClient(Binding binding, string address, string via, long size)
        {
            var factory = new ChannelFactory<IFiles>(binding);
            factory.Open();
            IFiles files = Open(factory, address, via);
            Line("RESULT Upload " + files.Upload(new Pattern(size)));
            // Mono's listener needs a moment before it takes the next connection.
            Thread.Sleep(300);
            using (Stream download = files.Download(size))
                Line("RESULT Download " + Pattern.Digest(download));
            CloseChannel(files);
            factory.Close();
        }

        // The same line as Indigo's tests/src/orders.rs `sample_line`.
        static OrderLine SampleLine()
        {
            return new OrderLine
            {
                ProductId = 7, Discount = 0.25, Quantity = 2, Note = null,
                Colour = Color.Green, Tags = new List<string> { "gift", "" },
                UnitPrice = decimal.Parse("79228162514264337593543950.335", CultureInfo.InvariantCulture),
                OrderedAt = XmlConvert.ToDateTime("1969-07-20T20:17:40.1234567Z", XmlDateTimeSerializationMode.RoundtripKind),
                Id = new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"),
                LeadTime = XmlConvert.ToTimeSpan("-P1DT2H3M4.0000005S"),
                Promised = DateTimeOffset.Parse("2024-02-29T23:30:00-05:30", CultureInfo.InvariantCulture),
                Thumbnail = new byte[] { 0, 1, 2, 253, 254, 255 },
                Signature = null,
                Home = new Uri("http://example.org/a%20b?q=1&r=%3C2%3E"),
                Stock = new Dictionary<string, int> { { "berlin", 3 }, { "paris", -1 } },
                Batches = new List<List<int>> { new List<int> { 1, 2 }, new List<int>(), new List<int> { 3 } },
                Returns = new List<string>(),
                Access = Access.Read | Access.Write | Access.Delete,
                NoAccess = Access.None,
                Wrapping = new Circle { Label = "round", Radius = 1.5 },
                Shapes = new List<Shape> { new Shape { Label = "plain" }, new Circle { Label = "disc", Radius = 2 } },
                Parcels = new Parcels { "small", "large" },
                Prices = new PriceList { { "a-1", decimal.Parse("9.99", CultureInfo.InvariantCulture) } },
                Limits = new List<decimal>
                {
                    decimal.MinValue,
                    decimal.Parse("0.0000000000000000000000000001", CultureInfo.InvariantCulture),
                    decimal.Parse("1.50", CultureInfo.InvariantCulture),
                },
                // Run with TZ=UTC (the test harness sets it), so Local is +00:00.
                Times = new List<DateTime>
                {
                    new DateTime(DateTime.MaxValue.Ticks, DateTimeKind.Unspecified),
                    new DateTime(2024, 2, 29, 12, 0, 0, DateTimeKind.Local),
                    new DateTime(DateTime.MinValue.Ticks, DateTimeKind.Utc),
                },
                Outlines = new Dictionary<string, Shape> { { "box", new Shape { Label = "square" } } },
                Kind = new XmlQualifiedName("widget", "urn:example:kinds"),
            };
        }

        static void RunOrdersClient(Binding binding, string address, string via)
        {
            var factory = new ChannelFactory<IOrders>(binding);
            factory.Open();
            IOrders orders = Open(factory, address, via);
            var line = SampleLine();
            Line("RESULT Reprice " + Describe(orders.Reprice(line)));
            Line("RESULT Reserve " + orders.Reserve(line));
            line.Quantity = 11;
            try
            {
                uint unexpected = orders.Reserve(line);
                throw new InvalidOperationException("Reserve returned " + unexpected + " instead of faulting");
            }
            catch (FaultException<OutOfStock> fault)
            {
                Line("RESULT OutOfStock " + fault.Detail.ProductId);
            }
            line.Quantity = 2;
            orders.Cancel(line);
            Line("RESULT Cancel ok");
            foreach (var change in new[] { "closed", "many" })
            {
                if (change == "closed") { line.ProductId = 0; line.Quantity = 2; }
                else { line.ProductId = 7; line.Quantity = 11; }
                try
                {
                    orders.Cancel(line);
                    throw new InvalidOperationException("Cancel did not fault");
                }
                catch (FaultException<StoreClosed> fault)
                {
                    Line("RESULT Cancel StoreClosed " + fault.Detail.Until);
                }
                catch (FaultException<OutOfStock> fault)
                {
                    Line("RESULT Cancel OutOfStock " + fault.Detail.ProductId);
                }
            }
            CloseChannel(orders);
            factory.Close();
        }

        // A duplex client: prices arrive as callbacks during Subscribe (with a request-reply
        // Confirm from the service's operation) and after PublishLater returns.
        static void RunTickerClient(Binding binding, string address)
        {
            var callback = new TickerClientCallback();
            var factory = new DuplexChannelFactory<ITicker>(new InstanceContext(callback), binding,
                new EndpointAddress(address));
            ITicker ticker = factory.CreateChannel();
            Line("RESULT Subscribe " + ticker.Subscribe("CONTOSO", 5));
            ticker.PublishLater(3);
            DateTime deadline = DateTime.UtcNow.AddSeconds(10);
            while (Thread.VolatileRead(ref callback.Prices) < 8 && DateTime.UtcNow < deadline)
                Thread.Sleep(20);
            Line("RESULT Prices " + Thread.VolatileRead(ref callback.Prices));
            ticker.Unsubscribe();
            // A Mono service never answers the client's End (peers.md): do not wait for it.
            try { ((IClientChannel)ticker).Close(TimeSpan.FromSeconds(2)); }
            catch (TimeoutException) { ((IClientChannel)ticker).Abort(); }
        }

        static void RunEchoClient(Binding binding, string address, string via)
        {
            var factory = new ChannelFactory<IEcho>(binding);
            factory.Open();
            IEcho echo = Open(factory, address, via);

            Line("RESULT Echo " + echo.Echo("hello"));

            echo.Notify("n1");
            // The one-way call may still be running when its HTTP 202 comes back: poll.
            string last = null;
            DateTime deadline = DateTime.UtcNow.AddSeconds(5);
            while (true)
            {
                last = echo.Echo("last-notify");
                if (last == "n1" || DateTime.UtcNow > deadline) break;
                Thread.Sleep(20);
            }
            Line("RESULT Echo-last " + last);

            try
            {
                string unexpected = echo.Fail("why");
                throw new InvalidOperationException("Fail returned '" + unexpected + "' instead of faulting");
            }
            catch (FaultException<EchoFault> fault)
            {
                string reason = fault.Reason.GetMatchingTranslation(CultureInfo.InvariantCulture).Text;
                Line("RESULT Fault " + reason + " " + fault.Detail.Reason);
            }

            try
            {
                string unexpected = echo.Refuse("no");
                throw new InvalidOperationException("Refuse returned '" + unexpected + "' instead of faulting");
            }
            catch (FaultException fault)
            {
                // SOAP 1.1 carries only the subcode, as the code itself.
                FaultCode code = fault.Code.SubCode ?? fault.Code;
                string reason = fault.Reason.GetMatchingTranslation(CultureInfo.InvariantCulture).Text;
                Line("RESULT Refused " + reason + " " + code.Name + " " + code.Namespace);
            }

            CloseChannel(echo);
            factory.Close();
        }

        static void CloseChannel(object channel)
        {
            var c = (ICommunicationObject)channel;
            if (c.State == CommunicationState.Opened) c.Close();
            else c.Abort();
        }
    }
}

/* Random streams: Philox4x64-10 from Random123, keyed by (seed,
 * experiment), with the counter (block, replica, grid point, 0). Every
 * (seed, experiment, point, replica) is its own stream of 2^64 blocks of
 * four 64-bit words, so results do not depend on how replicas are spread
 * over threads. Normal variates come from two generators: GSL's ziggurat
 * driven by this stream through a gsl_rng view that allocates nothing
 * (gd_rng_normal, gd_rng_normals), and gdlab's own ziggurat of 256 layers
 * with one 64-bit word per variate, its fast path vectorised
 * (gd_rng_normals_zig, at the end of this file). */
#include "gdlab/rng.h"

#include <math.h>
#include <string.h>

#include <Random123/philox.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

uint64_t gd_rng_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* One block of Philox4x64-10 (Salmon et al., SC11): Random123's rounds
 * written out with its constants and its mulhilo64, unrolled, so that it
 * inlines into the word loops below and their AVX2/BMI2 clone (mulx). The
 * same bits as Random123's philox4x64 (tests/test_core.c: its known
 * answers; tests/test_rng.c: against philox4x64 itself); the 1-D Monte
 * Carlo ran 7% faster with it than with philox4x64 inlined. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void philox_block(const uint64_t ctr[4], const uint64_t key[2],
                                uint64_t out[4]) {
    uint64_t v0 = ctr[0], v1 = ctr[1], v2 = ctr[2], v3 = ctr[3];
    uint64_t k0 = key[0], k1 = key[1];
#pragma GCC unroll 10
    for (int round = 0; round < 10; round++) {
        uint64_t hi0, hi1;
        uint64_t lo0 = mulhilo64(PHILOX_M4x64_0, v0, &hi0);
        uint64_t lo1 = mulhilo64(PHILOX_M4x64_1, v2, &hi1);
        v0 = hi1 ^ v1 ^ k0, v1 = lo1, v2 = hi0 ^ v3 ^ k1, v3 = lo0;
        k0 += PHILOX_W64_0, k1 += PHILOX_W64_1;
    }
    out[0] = v0, out[1] = v1, out[2] = v2, out[3] = v3;
}

void gd_rng_philox4x64(const uint64_t ctr[4], const uint64_t key[2],
                       uint64_t out[4]) {
    philox_block(ctr, key, out);
}

void gd_rng_stream_init(gd_rng *r, uint64_t seed, const char *experiment,
                        uint64_t point, uint64_t replica) {
    r->key[0] = seed;
    r->key[1] = gd_rng_hash(experiment ? experiment : "");
    r->ctr[0] = 0;
    r->ctr[1] = replica;
    r->ctr[2] = point;
    r->ctr[3] = 0;
    r->used = 4;
    r->has_half = 0;
    r->half = 0;
}

uint64_t gd_rng_u64(gd_rng *r) {
    if (r->used == 4) {
        philox_block(r->ctr, r->key, r->buf);
        r->ctr[0]++;
        r->used = 0;
    }
    return r->buf[r->used++];
}

uint32_t gd_rng_u32(gd_rng *r) {
    if (r->has_half) {
        r->has_half = 0;
        return r->half;
    }
    uint64_t w = gd_rng_u64(r);
    r->half = (uint32_t)(w >> 32);
    r->has_half = 1;
    return (uint32_t)w;
}

double gd_rng_uniform(gd_rng *r) {
    /* (k + 0.5) / 2^53 with k in [0, 2^53): in (0, 1), never 0 or 1. */
    return ((double)(gd_rng_u64(r) >> 11) + 0.5) * 0x1p-53;
}

/* The gsl_rng view: a type whose state is a gd_rng. */
static void view_set(void *state, unsigned long seed) {
    (void)state;
    (void)seed;
}
static unsigned long view_get(void *state) { return gd_rng_u32(state); }
static double view_get_double(void *state) { return gd_rng_uniform(state); }

static const gsl_rng_type view_type = {
    "gdlab-philox4x64", 0xffffffffUL, 0, sizeof(gd_rng),
    view_set, view_get, view_get_double};

double gd_rng_normal(gd_rng *r) {
    gsl_rng view = {&view_type, r};
    return gsl_ran_gaussian_ziggurat(&view, 1.0);
}

void gd_rng_normals(gd_rng *r, double *out, size_t n) {
    gsl_rng view = {&view_type, r};
    for (size_t i = 0; i < n; i++) out[i] = gsl_ran_gaussian_ziggurat(&view, 1.0);
}

/* ---- gdlab's ziggurat (gd_rng_normals_zig) ----
 *
 * Marsaglia and Tsang, "The ziggurat method for generating random
 * variables", J. Stat. Softw. 5(8), 2000, with C = 256 layers, and
 * Doornik's correction ("An improved ziggurat method to generate normal
 * random samples", 2005): the layer index and the uniform come from
 * disjoint bits, so they are independent (in Marsaglia and Tsang's code the
 * same 32-bit integer gives both, which correlates them).
 *
 * Under f(x) = exp(-x^2/2) on x >= 0 lie C regions of equal area V: a base
 * strip [0, X1] x [0, f(X1)] plus the tail beyond X1 = r, and the
 * rectangles [0, X_i] x [f(X_i), f(X_{i+1})] for i = 1..C-1, X_C = 0; zig_x
 * also holds X_0 = V / f(r), the width of a rectangle of area V and height
 * f(r), so the base strip is sampled like the others. A variate takes one
 * 64-bit word w: layer i = w mod 256 (bits 0-7), and a uniform u in (-1, 1)
 * from bits 12-63, u = (2k + 1) 2^-52 - 1 for the 52-bit integer k
 * (symmetric, never 0; computed exactly by basic operations). x = u X_i is
 * returned at once when |x| < X_{i+1} (98.5% of words: the fast path,
 * vectorised); otherwise, from the same x: for i = 0 a tail variate by
 * Marsaglia's method (1964: x = -log(U1)/r, y = -log(U2) until 2y > x^2,
 * then +-(r + x) with the sign of u); for i >= 1 the wedge test (accept x
 * if f(X_i) + U (f(X_{i+1}) - f(X_i)) < f(x)), and on rejection a new
 * word and the whole test again. The extra words of this slow path come
 * from side blocks of the stream, keyed by the position of the variate's
 * word: Philox counters (p, replica, point, c) for c = 1, 2, ... (the main
 * stream has c = 0). Each variate is thus a function of its own word and
 * its own side blocks only: the numbers do not depend on how a stream is
 * cut into calls, nor on the vector width.
 *
 * The tables were computed in 60-digit arithmetic (mpmath): r is the root
 * of the closure condition X_{C-1} (1 - f(X_{C-1})) = V, with V(r) = r f(r)
 * + sqrt(pi/2) erfc(r/sqrt 2) and X_{i+1} = sqrt(-2 log(f(X_i) + V/X_i));
 * r = 3.65415288536100877164543, V = 0.00492867323397465534736 (Marsaglia
 * and Tsang give 3.6541528853610088 and 4.92867323399e-3). Each entry is
 * the double nearest the exact value; tests/test_rng.c checks the layer
 * areas and f. The exponential and the logarithm of the slow path are
 * written out below from basic operations (glibc picks an FMA version of
 * exp and log at run time on some CPUs, which may round differently), so
 * every variate is the same on every x86-64 CPU. */

#define ZIG_C 256

static const double zig_x[257] = {
    3.9107579595249158, 3.6541528853610088, 3.4492782985614312, 3.3202447338398255,
    3.2245750520478014, 3.1478892895180008, 3.0835261320021434, 3.0278377917695933,
    2.9786032798818431, 2.9343668672088876, 2.8941210536134121, 2.8571387308732246,
    2.8228773968264429, 2.7909211740019275, 2.7609440052799861, 2.7326853590440114,
    2.705933656123062, 2.6805146432857452, 2.6562830375767432, 2.6331163936315827,
    2.6109105184888235, 2.5895759867082866, 2.569035452681844, 2.5492215503247833,
    2.5300752321598541, 2.5115444416266945, 2.4935830412710467, 2.4761499396705231,
    2.4592083743347048, 2.4427253182003641, 2.4266709849371466, 2.4110184139011195,
    2.3957431197819274, 2.3808227951720857, 2.3662370567172908, 2.3519672273791445,
    2.3379961487965288, 2.3243080188711325, 2.3108882506013719, 2.2977233489028634,
    2.2848008027244919, 2.2721089902283818, 2.2596370951737876, 2.2473750329473892,
    2.2353133849299209, 2.2234433400925107, 2.2117566428841609, 2.2002455466112765,
    2.1889027716263607, 2.1777214677402932, 2.1666951803543086, 2.1558178198767375,
    2.1450836340478889, 2.134487182846017, 2.1240233156895236, 2.113687150686653,
    2.1034740557148774, 2.093379631138792, 2.0833996939983046, 2.0735302635187431,
    2.0637675478117323, 2.0541079316506523, 2.0445479652175313, 2.0350843537296188,
    2.0257139478638542, 2.016433734906204, 2.0072408305605287, 1.9981324713584196,
    1.9891060076174381, 1.9801588969004766, 1.9712886979336592, 1.962493064944363,
    1.9537697423846467, 1.9451165600086784, 1.9365314282756947, 1.9280123340526658,
    1.9195573365931882, 1.9111645637712533, 1.9028322085504292, 1.8945585256707047,
    1.8863418285367828, 1.8781804862929958, 1.8700729210712668, 1.8620176053996742,
    1.8540130597602018, 1.8460578502851854, 1.8381505865828067, 1.8302899196827569,
    1.8224745400938858, 1.8147031759662826, 1.8069745913508208, 1.7992875845497203,
    1.7916409865521625, 1.7840336595494415, 1.7764644955245228, 1.7689324149112686,
    1.7614363653189102, 1.7539753203176716, 1.7465482782817223, 1.7391542612859117,
    1.7317923140529632, 1.724461502948045, 1.7171609150178231, 1.7098896570713018,
    1.7026468547999232, 1.6954316519345616, 1.6882432094371953, 1.6810807047251739,
    1.6739433309261249, 1.6668302961616654, 1.6597408228581825, 1.6526741470830559,
    1.6456295179047824, 1.6386061967755476, 1.6316034569348736, 1.6246205828330347,
    1.6176568695730156, 1.6107116223698301, 1.6037841560260946, 1.5968737944227882,
    1.5899798700241907, 1.5831017233960292, 1.5762387027359064, 1.5693901634151237,
    1.5625554675310449, 1.5557339834691764, 1.5489250854741734, 1.5421281532290019,
    1.5353425714415141, 1.5285677294377125, 1.521803020760998, 1.5150478427767147,
    1.5083015962813116, 1.5015636851154637, 1.4948335157804935, 1.4881104970574475,
    1.4813940396281873, 1.4746835556978555, 1.4679784586180795, 1.4612781625102755,
    1.4545820818884103, 1.447889631280576, 1.4412002248487239, 1.4345132760058923,
    1.427828197030256, 1.421144398675309, 1.4144612897754711, 1.4077782768463989,
    1.401094763679251, 1.394410150928141, 1.3877238356899761, 1.3810352110758555,
    1.3743436657731662, 1.3676485835974761, 1.3609493430332831, 1.3542453167626349,
    1.3475358711805872, 1.340820365896404, 1.3340981532193601, 1.3273685776279258,
    1.3206309752210563, 1.3138846731502205, 1.3071289890307312, 1.3003632303308372,
    1.2935866937369478, 1.2867986644932436, 1.279998415713818, 1.2731852076653563,
    1.2663582870182295, 1.2595168860637143, 1.2526602218948972, 1.2457874955486272,
    1.2388978911056874, 1.2319905747461362, 1.2250646937565308, 1.2181193754854815,
    1.2111537262436991, 1.2041668301443815, 1.1971577478794415, 1.1901255154266921,
    1.1830691426826867, 1.175987612015452, 1.168879876730833, 1.1617448594456115,
    1.1545814503599277, 1.147388505420849, 1.1401648443681514, 1.1329092486525338,
    1.1256204592155334, 1.118297174119345, 1.1109380460135758, 1.1035416794246398,
    1.0961066278520215, 1.0886313906539797, 1.0811144097034038, 1.0735540657924363,
    1.0659486747621225, 1.0582964833306752, 1.05059566459093, 1.0428443131441489,
    1.035040439833441, 1.0271819660356458, 1.0192667174654841, 1.0112924174399958,
    1.0032566795446729, 0.99515699963509097, 0.98699074709906243, 0.97875515529422463,
    0.97044731106422444, 0.96206414322304057, 0.95360240988108602, 0.94505868446816543,
    0.9364293402865751, 0.92771053340200016, 0.91889818364959064, 0.90998795349671846,
    0.9009752244612218, 0.89185507073294157, 0.88262222958516556, 0.87327106808886079,
    0.86379554555330884, 0.85418917100816383, 0.84444495490915394, 0.83455535408638215,
    0.82451220875229214, 0.81430667013521518, 0.80392911698997127, 0.79336905884062325,
    0.78261502330723309, 0.77165442422456809, 0.76047340643010808, 0.74905666201781529,
    0.73738721143429564, 0.72544614090999959, 0.7132122851909759, 0.70066184110681506,
    0.68776789279578854, 0.67449982283729382, 0.6608225742444197, 0.64669571489499378,
    0.63207223638606114, 0.61689699000775144, 0.60110461775599267, 0.58461676610637936,
    0.5673382570538188, 0.54915170232716515, 0.52990972066155817, 0.5094233296020918,
    0.48744396613923602, 0.46363433679088223, 0.43751840220787169, 0.40838913461199117,
    0.37512133287838056, 0.33573751921442524, 0.2861745917920725, 0.21524189598488169,
    0,
};
static const double zig_f[257] = {
    0.00047746776460938755, 0.0012602859304985975, 0.0026090727461021632, 0.0040379725933630305,
    0.0055224032992509976, 0.0070508754713732268, 0.0086165827693987316, 0.010214971439701471,
    0.011842757857907889, 0.01349745060173988, 0.015177088307935327, 0.01688008315254317,
    0.018605121275724647, 0.020351096230044521, 0.022117062707308868, 0.023902203305795882,
    0.025705804008548896, 0.027527235669603085, 0.029365939758133317, 0.031221417191920248,
    0.033093219458578522, 0.034980941461716084, 0.036884215688567291, 0.03880270740452612,
    0.040736110655940933, 0.042684144916474438, 0.04464655225129445, 0.046623094901930368,
    0.048613553215868528, 0.050617723860947768, 0.052635418276792183, 0.054666461324888921,
    0.056710690106202902, 0.058767952920933765, 0.060838108349539864, 0.062921024437758127,
    0.065016577971242856, 0.067124653827788497, 0.069245144397006769, 0.071377949058890375,
    0.073522973713981268, 0.075680130358927081, 0.077849336702096053, 0.080030515814663056,
    0.082223595813202863, 0.084428509570353374, 0.086645194450557961, 0.088873592068275803,
    0.091113648066373634, 0.093365311912690874, 0.095628536713008833, 0.097903279038862298,
    0.10018949876880982, 0.10248715894193509, 0.1047962256224869, 0.10711666777468365,
    0.10944845714681165, 0.11179156816383801, 0.11414597782783836, 0.11651166562561081,
    0.11888861344290999, 0.12127680548479022, 0.12367622820159656, 0.12608687022018586,
    0.12850872227999954, 0.13094177717364433, 0.13338602969166913, 0.13584147657125373,
    0.13830811644855073, 0.1407859498144447, 0.14327497897351343, 0.14577520800599406,
    0.14828664273257455, 0.1508092906818457, 0.15334316106026286, 0.15588826472447923,
    0.15844461415592431, 0.16101222343751109, 0.16359110823236572, 0.16618128576448207,
    0.16878277480121151, 0.17139559563750595, 0.17401977008183878, 0.176655321443735,
    0.17930227452284767, 0.18196065559952257, 0.18463049242679927, 0.18731181422380028,
    0.19000465167046499, 0.19270903690358915, 0.19542500351413428, 0.19815258654577514,
    0.20089182249465659, 0.20364274931033488, 0.20640540639788074, 0.20917983462112502,
    0.21196607630703018, 0.21476417525117361, 0.21757417672433116, 0.22039612748015197,
    0.22323007576391746, 0.22607607132238022, 0.22893416541468026, 0.23180441082433861,
    0.23468686187232993, 0.23758157443123798, 0.24048860594050042, 0.24340801542275015,
    0.24633986350126366, 0.24928421241852827, 0.25224112605594196, 0.25521066995466168,
    0.25819291133761896, 0.26118791913272088, 0.2641957639972608, 0.26721651834356114,
    0.27025025636587524, 0.27329705406857691, 0.2763569892956681, 0.27943014176163777,
    0.28251659308370747, 0.28561642681550159, 0.28872972848218276, 0.29185658561709504,
    0.2949970877999617, 0.29815132669668537, 0.30131939610080294, 0.30450139197664983,
    0.30769741250429195, 0.31090755812628634, 0.31413193159633712, 0.3173706380299135,
    0.32062378495690536, 0.32389148237639109, 0.32717384281360135, 0.33047098137916342,
    0.33378301583071829, 0.33711006663700593, 0.3404522570445217, 0.3438097131468506,
    0.34718256395679353, 0.35057094148140594, 0.35397498080007661, 0.35739482014578028,
    0.36083060098964781, 0.36428246812900378, 0.36775056977903231, 0.37123505766823928,
    0.37473608713789092, 0.37825381724561896, 0.38178841087339344, 0.38534003484007712,
    0.3889088600187886, 0.3924950614593154, 0.39609881851583223, 0.39972031498019706,
    0.40335973922111434, 0.40701728432947321, 0.41069314827018805, 0.41438753404089096,
    0.418100649837848, 0.42183270922949578, 0.42558393133802186, 0.42935454102944132,
    0.43314476911265215, 0.43695485254798538, 0.44078503466580382, 0.44463556539573917,
    0.44850670150720279, 0.4523987068618483, 0.45631185267871616, 0.46024641781284253,
    0.46420268904817402, 0.46818096140569326, 0.47218153846772981, 0.47620473271950553,
    0.48025086590904648, 0.48432026942668294, 0.48841328470545764, 0.4925302636438682,
    0.49667156905248938, 0.50083757512614846, 0.5050286679434679, 0.50924524599574761,
    0.51348772074732663, 0.51775651722975591, 0.52205207467232151, 0.52637484717168403,
    0.53072530440366161, 0.53510393238045717, 0.53951123425695169, 0.54394773119002582,
    0.54841396325526548, 0.55291049042583196, 0.55743789361876561, 0.56199677581452401,
    0.566587763256164, 0.57121150673525278, 0.57586868297235327, 0.58055999610079045,
    0.5852861792633709, 0.59004799633282556, 0.594846243767987, 0.59968175261912493,
    0.60455539069746744, 0.6094680649257731, 0.61442072388891356, 0.6194143606058341,
    0.62445001554702617, 0.62952877992483636, 0.63465179928762327, 0.63982027745305625,
    0.64503548082082207, 0.65029874311081648, 0.65561147057969704, 0.66097514777666289,
    0.66639134390874988, 0.67186171989708177, 0.67738803621877308, 0.68297216164499441,
    0.68861608300467136, 0.69432191612611638, 0.70009191813651128, 0.70592850133275387,
    0.71183424887824809, 0.71781193263072163, 0.72386453346862978, 0.72999526456147579,
    0.73620759812686232, 0.74250529634015072, 0.74889244721915649, 0.75537350650709578,
    0.76195334683679494, 0.76863731579848582, 0.77543130498118673, 0.78234183265480206,
    0.78937614356602415, 0.79654233042295863, 0.80384948317096394, 0.81130787431265594,
    0.81892919160370203, 0.82672683394622104, 0.83471629298688321, 0.84291565311220396,
    0.85134625845867773, 0.8600336211963312, 0.86900868803685671, 0.87830965580891707,
    0.88798466075583304, 0.89809592189834309, 0.90872644005213055, 0.91999150503934668,
    0.93206007595923013, 0.94519895344229932, 0.95987909180010633, 0.97710170126767126,
    1,
};

/* exp(t) for t <= 0 (t >= -700): e^t = 2^n e^s with n = round(t / ln 2)
 * and s = t - n ln 2 (Cody and Waite: ln 2 in two parts, n ln2_hi exact),
 * |s| <= 0.347, e^s by its Taylor series to s^13 (truncation < 5e-18
 * relative), evaluated by Estrin's scheme (a short dependency chain: this
 * sits on the ziggurat's wedge path). Within 2 ulps of e^t. */
static double det_exp(double t) {
    static const double ln2_hi = 0x1.62e42feep-1, ln2_lo = 0x1.a39ef35793c76p-33;
    static const double c[14] = {1.0,          1.0,          1.0 / 2,        1.0 / 6,
                                 1.0 / 24,     1.0 / 120,    1.0 / 720,      1.0 / 5040,
                                 1.0 / 40320,  1.0 / 362880, 1.0 / 3628800,  1.0 / 39916800,
                                 1.0 / 479001600, 1.0 / 6227020800.0};
    double n = floor(t * 0x1.71547652b82fep0 + 0.5);
    double s = (t - n * ln2_hi) - n * ln2_lo;
    double s2 = s * s, s4 = s2 * s2, s8 = s4 * s4;
    double q0 = c[0] + c[1] * s, q1 = c[2] + c[3] * s, q2 = c[4] + c[5] * s;
    double q3 = c[6] + c[7] * s, q4 = c[8] + c[9] * s, q5 = c[10] + c[11] * s;
    double q6 = c[12] + c[13] * s;
    double r0 = q0 + q1 * s2, r1 = q2 + q3 * s2, r2 = q4 + q5 * s2;
    double p = (r0 + r1 * s4) + (r2 + q6 * s4) * s8;
    uint64_t b = (uint64_t)((int64_t)n + 1023) << 52;
    double two_n;
    memcpy(&two_n, &b, sizeof two_n);
    return p * two_n;
}

/* log(u) for a normal double u > 0: u = 2^e m, m in [sqrt(1/2), sqrt(2)),
 * log m = 2 atanh(s) = 2 (s + s^3/3 + ... + s^21/21) with s = (m-1)/(m+1),
 * |s| <= 0.172 (truncation < 1e-18 relative). Within 2 ulps. */
static double det_log(double u) {
    static const double ln2_hi = 0x1.62e42feep-1, ln2_lo = 0x1.a39ef35793c76p-33;
    uint64_t b;
    memcpy(&b, &u, sizeof b);
    int e = (int)((b >> 52) & 0x7ff) - 1023;
    b = (b & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double m;
    memcpy(&m, &b, sizeof m);
    if (m > 0x1.6a09e667f3bcdp0) m *= 0.5, e++;
    static const double c[10] = {2.0 / 19, 2.0 / 17, 2.0 / 15, 2.0 / 13, 2.0 / 11,
                                 2.0 / 9,  2.0 / 7,  2.0 / 5,  2.0 / 3,  2.0};
    double s = (m - 1.0) / (m + 1.0), z = s * s, p = 2.0 / 21;
    for (int k = 0; k < 10; k++) p = p * z + c[k];
    double de = (double)e;
    return de * ln2_hi + (de * ln2_lo + s * p);
}

/* The uniform in (-1, 1) of a word: bits 12-63 as k, (2k + 1) 2^-52 - 1.
 * 1 + k 2^-52 is exact, so are 2(1 + k 2^-52) - 3 and the last sum. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline double zig_u(uint64_t w) {
    uint64_t b = (w >> 12) | 0x3ff0000000000000ull;
    double d;
    memcpy(&d, &b, sizeof d);
    return (2.0 * d - 3.0) + 0x1p-52;
}

/* The side blocks of the variate whose word is at position pos. */
typedef struct zig_side {
    uint64_t ctr[4], key[2], buf[4];
    int used;
} zig_side;

static uint64_t side_u64(zig_side *s) {
    if (s->used == 4) {
        s->ctr[3]++;
        philox_block(s->ctr, s->key, s->buf);
        s->used = 0;
    }
    return s->buf[s->used++];
}

static double side_uniform(zig_side *s) {
    return ((double)(side_u64(s) >> 11) + 0.5) * 0x1p-53;
}

/* The whole ziggurat for the word w at position pos of stream r (the slow
 * path; its first test repeats the fast path's). */
static double zig_slow(const gd_rng *r, uint64_t pos, uint64_t w) {
    zig_side s = {{pos, r->ctr[1], r->ctr[2], 0}, {r->key[0], r->key[1]}, {0, 0, 0, 0}, 4};
    for (;;) {
        unsigned i = (unsigned)(w & 0xff);
        double u = zig_u(w), x = u * zig_x[i];
        if (fabs(x) < zig_x[i + 1]) return x;
        if (i == 0) {
            const double rr = zig_x[1];
            for (;;) {
                double t = -det_log(side_uniform(&s)) / rr;
                double y = -det_log(side_uniform(&s));
                if (y + y >= t * t) return u < 0 ? -(rr + t) : rr + t;
            }
        }
        if (zig_f[i] + side_uniform(&s) * (zig_f[i + 1] - zig_f[i]) < det_exp(-0.5 * x * x))
            return x;
        w = side_u64(&s);
    }
}

/* The fast path on n words: out[j] = u_j X_{i_j}, rej[j] = 1 where the
 * slow path must decide; returns the number of those. Exact integer work,
 * one rounded product and one comparison per word: every vector width
 * gives the same bits. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline size_t zig_fast_body(double *restrict out, int64_t *restrict rej,
                                   const uint64_t *restrict w, size_t n) {
    size_t nrej = 0;
#pragma omp simd reduction(+ : nrej)
    for (size_t j = 0; j < n; j++) {
        uint64_t i = w[j] & 0xff;
        double x = zig_u(w[j]) * zig_x[i];
        int64_t bad = !(fabs(x) < zig_x[i + 1]);
        out[j] = x;
        rej[j] = bad;
        nrej += (size_t)bad;
    }
    return nrej;
}

/* Words per pass: 2 KiB of words, flags and outputs each, in L1. */
#define ZIG_BLOCK 256

/* n variates of stream r: the next n words (Philox blocks of the stream,
 * written straight into the word buffer), the fast path on all of them,
 * then the slow path for the words it flagged, in order. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void normals_zig_body(gd_rng *r, double *out, size_t n) {
    uint64_t w[ZIG_BLOCK];
    int64_t rej[ZIG_BLOCK + 4];
    while (n > 0) {
        size_t m = n < ZIG_BLOCK ? n : ZIG_BLOCK, k = 0;
        /* Position of the next word of the stream: 4 per block before it. */
        uint64_t pos = 4 * r->ctr[0] + (uint64_t)r->used - 4;
        while (k < m && r->used < 4) w[k++] = r->buf[r->used++];
        for (; m - k >= 4; k += 4) {
            philox_block(r->ctr, r->key, w + k);
            r->ctr[0]++;
        }
        if (k < m) {
            philox_block(r->ctr, r->key, r->buf);
            r->ctr[0]++;
            r->used = 0;
            while (k < m) w[k++] = r->buf[r->used++];
        }
        if (zig_fast_body(out, rej, w, m)) {
            /* The flags 4 at a time (those past m cleared). */
            rej[m] = rej[m + 1] = rej[m + 2] = 0;
            for (size_t j0 = 0; j0 < m; j0 += 4)
                if (rej[j0] | rej[j0 + 1] | rej[j0 + 2] | rej[j0 + 3])
                    for (size_t j = j0; j < j0 + 4 && j < m; j++)
                        if (rej[j]) out[j] = zig_slow(r, pos + j, w[j]);
        }
        out += m, n -= m;
    }
}

static void normals_zig_default(gd_rng *r, double *out, size_t n) {
    normals_zig_body(r, out, n);
}

/* The same body for AVX2 (4 lanes in the fast path; AVX2 alone enables no
 * FMA, and ISO C mode forbids contraction) and BMI2 (mulx in Philox),
 * chosen at run time: the same bits as the default version. */
#if defined(__GNUC__) && defined(__x86_64__)
#define ZIG_HAVE_AVX2 1
__attribute__((target("avx2,bmi2"))) static void normals_zig_avx2(gd_rng *r, double *out,
                                                                 size_t n) {
    normals_zig_body(r, out, n);
}
#endif

void gd_rng_normals_zig(gd_rng *r, double *out, size_t n) {
#ifdef ZIG_HAVE_AVX2
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2")) {
        normals_zig_avx2(r, out, n);
        return;
    }
#endif
    normals_zig_default(r, out, n);
}

void gd_rng_normals_zig_portable(gd_rng *r, double *out, size_t n) {
    normals_zig_default(r, out, n);
}

void gd_rng_zig_tables(const double **x, const double **f, size_t *layers) {
    if (x) *x = zig_x;
    if (f) *f = zig_f;
    if (layers) *layers = ZIG_C;
}

double gd_rng_exp_det(double t) { return det_exp(t); }
double gd_rng_log_det(double u) { return det_log(u); }

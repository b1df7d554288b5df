// The typed API without a cast: what a user writes after reading the README.
import { LuaTable, Module, Tensor, nn, setOffloadActivations, setReleaseGradInputs, t7, torch, type Activity } from 'mpelu';

// A file whose content the caller knows: load<T>.
const state = t7.load<LuaTable>('optimState_1.t7');
const lr: unknown = state.get('learningRate');
const rates = state.get('learningRates');
if (rates instanceof Tensor) rates.size();

// A module from a file: loadModule checks it; typed Tensor -> Tensor unless told otherwise.
const net = t7.loadModule('model_1.t7');
const x = torch.FloatTensor(2, 3, 32, 32).normal(0, 1);
const y: Tensor = net.forward(x).clone();             // forward of a tensor is a Tensor
const g: Tensor | undefined = net.backward(x, y);
const pair = t7.loadModule<Tensor[], Tensor>('sum_model.t7');  // a model that takes a table
const summed: Tensor = pair.forward([x, x]);
const anyModule: Module = net;                         // Module = Module<Activity, Activity>: any module
const table: Activity = anyModule.forward([x, x]);

// Table modules say what they take and give: a residual block, fb.resnet.torch's shape.
const branches = nn.ConcatTable()
  .add(nn.Sequential().add(nn.SpatialConvolution(3, 3, 3, 3, 1, 1, 1, 1)).add(nn.ReLU(true)))
  .add(nn.Identity());
const both: Tensor[] = branches.forward(x);           // ConcatTable: a Tensor in, Tensor[] out
const first: Tensor = both[0].clone();
const sum: Tensor = nn.CAddTable().forward(both);     // CAddTable: Tensor[] in, a Tensor out
const block = nn.Sequential().add(branches).add(nn.CAddTable()).add(nn.ReLU(true));
const blockOut: Tensor = block.forward(x);
const blockGrad: Tensor | undefined = block.backward(x, blockOut);
const pairs = nn.ConcatTable<Tensor, Tensor[]>().add(nn.ConcatTable()).add(nn.ConcatTable());
const nested: Tensor[][] = pairs.forward(x);          // a table of tables, when its children give tables
const parallel: Tensor[] = nn.ParallelTable().add(nn.ReLU()).add(nn.Identity()).forward([x, x]);
const modules: Module[] = block.modules;               // children are Modules of any kind
const [convs] = block.findModules('nn.SpatialConvolution');
// @ts-expect-error ConcatTable gives a table, not a Tensor
const notATensor: Tensor = nn.ConcatTable().forward(x);
// @ts-expect-error CAddTable takes a table, not a Tensor
nn.CAddTable().forward(x);

// Modules built by hand are Double (Torch's default type) until .float().
const layer = nn.Sequential().add(nn.Linear(10, 4)).add(nn.MPELU(0.25, 1, 4)).float();
const out: Tensor = layer.forward(torch.FloatTensor(8, 10).uniform(-1, 1));

// torch's random functions: numbers, or the tensor they fill.
const a: number = torch.normal();
const b: number = torch.normal(0, 2);
const c: number = torch.uniform(-1, 1);
const k: number = torch.random(1, 10);
const filled: Tensor = torch.normal(torch.FloatTensor(5), 0, 1);
const r: Tensor = torch.rand(2, 3);
const n: Tensor = torch.randn([4, 4]);
const perm: Tensor = torch.randperm(10);
const coin: number = torch.bernoulli(0.3);

// The memory of a training step: free consumed gradInputs, park activations beyond 2 GiB.
setReleaseGradInputs(true);
setOffloadActivations(true, 2 * 2 ** 30);

export const used = [notATensor, lr, y, g, summed, table, first, sum, blockGrad, nested, parallel, modules, convs, out, a, b, c, k, filled, r, n, perm, coin];

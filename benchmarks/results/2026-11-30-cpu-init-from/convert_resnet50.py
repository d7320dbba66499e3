# torchvision's ResNet-50 as a safetensors file that model.init_from reads (no safetensors package needed).
#   /usr/bin/python3 convert_resnet50.py resnet50.safetensors [--random]   (--random: untrained weights, no download)
import json, struct, sys, torch, torchvision

weights = None if "--random" in sys.argv else "IMAGENET1K_V2"
state = torchvision.models.resnet50(weights=weights).state_dict()
header, offset, blobs = {}, 0, []
for name, tensor in state.items():
    data = tensor.contiguous().numpy().tobytes()
    header[name] = {"dtype": {torch.float32: "F32", torch.int64: "I64"}[tensor.dtype], "shape": list(tensor.shape),
                    "data_offsets": [offset, offset + len(data)]}
    offset += len(data)
    blobs.append(data)
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
